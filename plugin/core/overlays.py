"""Merge the language overlays of patterns/i18n/<lang>/ into the English patterns and fields.

Adding a language is a change to data files only: its regexes, contexts and negatives join the
base pattern of the same id, its reply is kept beside the English one, and its language.toml adds
markers (to recognise the ticket's language), quote headers (to recognise quoted mail) and Amazon /
connecting context terms. Every problem is reported with its file, key and line.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import regex

from .language import word_markers
from .patterns import (
    FIELDS_DIR,
    CompiledContext,
    ErrorPattern,
    FieldPattern,
    Language,
    Overlay,
    PatternFileError,
    _compile_negatives,
    _compile_regexes,
    _compile_terms,
    _FileLoader,
)
from .prefilter import required_chars
from .schema import LANG, ContextSpec, ErrorOverlaySpec, FieldOverlaySpec, LanguageSpec, RegexSpec

LANGUAGE_FILE = "language.toml"
AMAZON_CONTEXT_PREFIX = "amazon"
CONNECTING_CONTEXT = "connecting"


def _compile_language(loader: _FileLoader, spec: LanguageSpec) -> Language | None:
    markers = loader.compile(("markers",), _compile_terms, spec.markers)
    quotes = None
    if spec.quote_headers:
        quotes = loader.compile(
            ("quote_headers",),
            lambda terms: regex.compile("|".join(f"(?:{t})" for t in terms), regex.IGNORECASE | regex.MULTILINE),
            spec.quote_headers,
        )
        if quotes is None:
            return None
    for key in ("amazon_context", "connecting_context"):
        terms = getattr(spec, key)
        if terms and loader.compile((key,), _compile_terms, terms) is None:
            return None
    for key in ("greetings", "yes", "no", "turn", "takes_up"):
        terms = getattr(spec.reply_cues, key)
        if terms and loader.compile(("reply_cues", key), _compile_terms, terms) is None:
            return None
    if markers is None:
        return None
    words = word_markers(markers, spec.markers)
    chars = required_chars(markers.pattern)
    return Language(spec, loader.path, markers, quotes, words, regex.compile(chars, markers.flags) if chars else None)


def _load_language(directory: Path, errors: list[PatternFileError]) -> Language | None:
    path = directory / LANGUAGE_FILE
    if not regex.fullmatch(LANG, directory.name):
        errors.append(PatternFileError(directory, "", 1, "a language directory is named by its lower-case ISO 639-1 code (de, fr, ja ...)"))
        return None
    if not path.is_file():
        errors.append(PatternFileError(path, "", 1, f"missing: every language directory needs a {LANGUAGE_FILE}"))
        return None
    loader = _FileLoader(path, errors)
    data = loader.read()
    spec = loader.validate(LanguageSpec, data) if data is not None else None  # type: ignore[arg-type]
    if spec is None:
        return None
    if spec.lang != directory.name:
        loader.fail(("lang",), f"lang {spec.lang!r} must equal the directory name {directory.name!r}")
        return None
    return _compile_language(loader, spec)


def _overlay_spec(loader: _FileLoader, model: type, lang: str, known: dict[str, object]) -> object | None:
    data = loader.read()
    spec = loader.validate(model, data) if data is not None else None  # type: ignore[arg-type]
    if spec is None:
        return None
    if spec.id != loader.path.stem:
        loader.fail(("id",), f"id {spec.id!r} must equal the file name {loader.path.stem!r}")
        return None
    if spec.id not in known:
        loader.fail(("id",), f"no English pattern {spec.id!r} to add to (known: {', '.join(sorted(known))})")
        return None
    if spec.lang != lang:
        loader.fail(("lang",), f"lang {spec.lang!r} must equal the directory name {lang!r}")
        return None
    return spec


def _merge_contexts(loader: _FileLoader, base: tuple[CompiledContext, ...], extra: list[ContextSpec],
                    language: Language | None) -> tuple[CompiledContext, ...] | None:
    """Same-named contexts get the extra terms OR-ed in; new names are added."""
    merged = {c.spec.name: c.spec for c in base}
    order = [c.spec.name for c in base]
    for ctx in extra:
        if ctx.name in merged:
            merged[ctx.name] = merged[ctx.name].model_copy(update={"terms": [*merged[ctx.name].terms, *ctx.terms]})
        else:
            merged[ctx.name] = ctx
            order.append(ctx.name)
    if language is not None:
        for name, spec in merged.items():
            add = (language.spec.amazon_context if name.startswith(AMAZON_CONTEXT_PREFIX)
                   else language.spec.connecting_context if name == CONNECTING_CONTEXT else [])
            if add:
                merged[name] = spec.model_copy(update={"terms": [*spec.terms, *add]})
    out = []
    for i, name in enumerate(order):
        spec = merged[name]
        old = next((c for c in base if c.spec.name == name), None)
        if old is not None and old.spec is spec:
            out.append(old)
            continue
        compiled = loader.compile(("context", i, "terms"), CompiledContext.build, spec)
        if compiled is None:
            return None
        out.append(compiled)
    return tuple(out)


def _apply_error_overlay(pattern: ErrorPattern, path: Path, lang: str, language: Language | None,
                         errors: list[PatternFileError]) -> ErrorPattern:
    loader = _FileLoader(path, errors)
    spec = _overlay_spec(loader, ErrorOverlaySpec, lang, {pattern.id: pattern})
    if not isinstance(spec, ErrorOverlaySpec):
        return pattern
    names = {r.name for r in pattern.regexes}
    if not _add_regex_names(loader, names, spec.regex, pattern.id, lang):
        return pattern
    for i, neg in enumerate(spec.negative):
        unknown = set(neg.regexes) - names
        if unknown:
            loader.fail(("negative", i, "regexes"), f"names unknown regexes {sorted(unknown)}")
            return pattern
    regexes = _compile_regexes(loader, spec.regex)
    negatives = _compile_negatives(loader, spec.negative)
    contexts = _merge_contexts(loader, pattern.contexts, spec.context, language)
    if regexes is None or negatives is None or contexts is None:
        return pattern
    replies = dict(pattern.replies)
    if spec.reply is not None:
        replies[lang] = spec.reply
    overlay = Overlay(lang, path, tuple(spec.examples.match), tuple(spec.examples.no_match))
    return dataclasses.replace(
        pattern, regexes=(*pattern.regexes, *regexes), contexts=contexts,
        negatives=(*pattern.negatives, *negatives), replies=replies, overlays=(*pattern.overlays, overlay),
    )


def _add_regex_names(loader: _FileLoader, names: set[str], regexes: list[RegexSpec], owner: str, lang: str) -> bool:
    """Add an overlay's regex names to ``names``; False, with the problem recorded, when one is taken."""
    for i, r in enumerate(regexes):
        if r.name in names:
            loader.fail(("regex", i, "name"), f"regex name {r.name!r} is already used by {owner!r} (prefix it with {lang}_)")
            return False
        names.add(r.name)
    return True


def _apply_field_overlay(field: FieldPattern, path: Path, lang: str, errors: list[PatternFileError]) -> FieldPattern:
    loader = _FileLoader(path, errors)
    spec = _overlay_spec(loader, FieldOverlaySpec, lang, {field.id: field})
    if not isinstance(spec, FieldOverlaySpec):
        return field
    if spec.zones or spec.relative_days or spec.months or spec.dayparts or spec.numbers:
        if field.spec.kind != "timestamp":
            loader.fail(("zones",), "zones, relative_days, months, dayparts and numbers belong only to a field of kind 'timestamp'")
            return field
        from .timestamps import check_zones

        problems = check_zones(spec.zones)
        for name, problem in problems:
            loader.fail(("zones", name), problem)
        if problems:
            return field
    if not _add_regex_names(loader, {r.name for r in field.regexes}, spec.regex, field.id, lang):
        return field
    regexes = _compile_regexes(loader, spec.regex)
    negatives = _compile_negatives(loader, spec.negative)
    if regexes is None or negatives is None:
        return field
    overlay = Overlay(lang, path, no_match=tuple(spec.examples.no_match), field_match=tuple(spec.examples.match))
    return dataclasses.replace(
        field, regexes=(*field.regexes, *regexes), negatives=(*field.negatives, *negatives),
        zones={**field.zones, **spec.zones}, relative_days={**field.relative_days, **spec.relative_days},
        months={**field.months, **spec.months}, dayparts={**field.dayparts, **spec.dayparts},
        numbers={**field.numbers, **spec.numbers},
        overlays=(*field.overlays, overlay),
    )


def _with_language_context(pattern: ErrorPattern, language: Language, errors: list[PatternFileError]) -> ErrorPattern:
    """A language without an overlay for this pattern still adds its Amazon / connecting terms."""
    contexts = _merge_contexts(_FileLoader(language.path, errors), pattern.contexts, [], language)
    return pattern if contexts is None else dataclasses.replace(pattern, contexts=contexts)


def load_languages(i18n: Path, patterns: list[ErrorPattern | None], fields: list[FieldPattern | None],
                   errors: list[PatternFileError], broken: frozenset[str] = frozenset(),
                   ) -> tuple[tuple[Language, ...], list[ErrorPattern | None], list[FieldPattern | None]]:
    """Every language under ``i18n`` merged into the patterns and fields; problems go to ``errors``.

    ``broken`` names the English files (by stem) that failed to load: their problem is already reported,
    so each language's overlay of them is skipped silently rather than adding one "no English pattern"
    per language that would bury the real cause.
    """
    if not i18n.is_dir():
        return (), patterns, fields
    languages: list[Language] = []
    by_id = {p.id: i for i, p in enumerate(patterns) if p is not None}
    field_by_id = {f.id: i for i, f in enumerate(fields) if f is not None}
    for directory in sorted(d for d in i18n.iterdir() if d.is_dir()):
        language = _load_language(directory, errors)
        lang = directory.name
        if language is not None:
            languages.append(language)
        overlaid: set[str] = set()
        for path in sorted(directory.glob("*.toml")):
            if path.name == LANGUAGE_FILE:
                continue
            index = by_id.get(path.stem)
            if index is None and (path.stem in broken or (i18n.parent / path.name).is_file()):
                continue  # the English file exists but did not load: its own problems are reported, not one per language
            if index is None:
                _FileLoader(path, errors).fail(("id",), f"no English pattern {path.stem!r} to add to "
                                                        f"(known: {', '.join(sorted(by_id))})", line=1)
                continue
            patterns[index] = _apply_error_overlay(patterns[index], path, lang, language, errors)  # type: ignore[arg-type]
            overlaid.add(path.stem)
        if language is not None:
            for pid, index in by_id.items():
                if pid not in overlaid:
                    patterns[index] = _with_language_context(patterns[index], language, errors)  # type: ignore[arg-type]
        for path in sorted((directory / FIELDS_DIR).glob("*.toml")):
            index = field_by_id.get(path.stem)
            if index is None and (f"{FIELDS_DIR}/{path.stem}" in broken or (i18n.parent / FIELDS_DIR / path.name).is_file()):
                continue  # as above: the English field's own problems are reported
            if index is None:
                _FileLoader(path, errors).fail(("id",), f"no English field {path.stem!r} to add to "
                                                        f"(known: {', '.join(sorted(field_by_id))})", line=1)
                continue
            fields[index] = _apply_field_overlay(fields[index], path, lang, errors)  # type: ignore[arg-type]
    return tuple(languages), patterns, fields

