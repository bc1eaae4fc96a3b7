"""The Zendesk sidebar app package: built for one service URL, validated the way Zendesk validates an upload."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plugin.app_package.build import BuildError, build, check_service_url, from_zip, read_source, to_zip
from plugin.app_package.png import NotPNG, info, solid
from plugin.app_package.validate import validate
from plugin.cli import main

from .conftest import ROOT

APP_DIR = ROOT / "zendesk_app"
URL = "https://triage.acme.test"


@pytest.fixture(scope="module")
def source() -> dict[str, bytes]:
    return read_source(APP_DIR)


def built(files: dict[str, bytes], url: str = URL) -> dict[str, bytes]:
    package, _ = build(files, url)
    return package


def with_manifest(files: dict[str, bytes], change: Callable[[dict[str, Any]], None]) -> dict[str, bytes]:
    manifest = json.loads(files["manifest.json"])
    change(manifest)
    return {**files, "manifest.json": json.dumps(manifest).encode()}


def param(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in manifest["parameters"] if p["name"] == name)


def test_the_shipped_app_builds_clean_for_a_url(source) -> None:
    package, report = build(source, URL + "/")
    assert report.errors == [] and report.warnings == []
    manifest = json.loads(package["manifest.json"])
    assert manifest["domainWhitelist"] == ["triage.acme.test"]
    assert param(manifest, "service_url")["default"] == URL
    assert param(manifest, "agent_token") == {**param(manifest, "agent_token"), "secure": True, "scopes": ["header"]}
    assert info(package["assets/logo.png"]).width == 320 and info(package["assets/logo-small.png"]).width == 128
    assert info(package["assets/logo-small.png"]).has_alpha


def test_the_sidebar_labels_cover_six_languages(source) -> None:
    labels_js = built(source)["assets/labels.js"].decode()
    labels = json.loads(labels_js[labels_js.index("{"):labels_js.rindex("}") + 1])
    assert sorted(labels) == ["de", "en", "es", "fr", "it", "ja"]
    for lang, table in labels.items():
        assert set(table) == set(labels["en"]), lang
    assert labels["de"]["insert"] == "In Antwort einfügen" and labels["ja"]["insert"] == "返信に挿入"
    for lang in labels:
        assert json.loads(source[f"translations/{lang}.json"])["app"]["name"]


def test_the_zip_is_reproducible_and_round_trips(source) -> None:
    package = built(source)
    data = to_zip(package)
    assert data == to_zip(built(source)) and from_zip(data) == package
    assert validate(from_zip(data), service_url=URL).ok


@pytest.mark.parametrize("url", ["triage.acme.test", "ftp://triage.acme.test", "http://triage.acme.test",
                                 "https://triage.acme.test/?x=1", "https://"])
def test_a_bad_service_url_is_refused(url) -> None:
    with pytest.raises(BuildError, match="--url"):
        check_service_url(url)


def test_http_is_allowed_only_for_this_machine() -> None:
    assert check_service_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.pop(key)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.__setitem__(key, value)


def _param(name: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(m: dict[str, Any]) -> None:
        if value is None:
            param(m, name).pop(key, None)
        else:
            param(m, name)[key] = value
    return change


# One broken app per rule: (what is broken, the change to the built manifest, the file and key the error names).
MANIFEST_RULES = [
    ("no author", _drop("author"), "author"),
    ("no default locale", _drop("defaultLocale"), "defaultLocale"),
    ("no location", _drop("location"), "location"),
    ("no framework version", _drop("frameworkVersion"), "frameworkVersion"),
    ("framework version not served", _set("frameworkVersion", "1.0"), "frameworkVersion"),
    ("private is not a boolean", _set("private", "yes"), "private"),
    ("version is not a string", _set("version", 2), "version"),
    ("author url is not a URL", lambda m: m["author"].__setitem__("url", "not a url"), "author.url"),
    ("default locale is not a locale", _set("defaultLocale", "English"), "defaultLocale"),
    ("default locale without its file", _set("defaultLocale", "pt"), "defaultLocale"),
    ("empty location", _set("location", {}), "location"),
    ("unknown product", _set("location", {"desk": {"ticket_sidebar": "assets/iframe.html"}}), "location.desk"),
    ("unknown location", _set("location", {"support": {"side_bar": "assets/iframe.html"}}), "location.support.side_bar"),
    ("page not in the package", _set("location", {"support": {"ticket_sidebar": {"url": "assets/nope.html"}}}),
     "location.support.ticket_sidebar.url"),
    ("relative page outside assets", _set("location", {"support": {"ticket_sidebar": "iframe.html"}}),
     "location.support.ticket_sidebar.url"),
    ("absolute page over http", _set("location", {"support": {"ticket_sidebar": "http://x.test/a.html"}}),
     "location.support.ticket_sidebar.url"),
    ("flexible is not a boolean", lambda m: m["location"]["support"]["ticket_sidebar"].__setitem__("flexible", "yes"),
     "location.support.ticket_sidebar.flexible"),
    ("domainWhitelist not strings", _set("domainWhitelist", [1]), "domainWhitelist"),
    ("domainWhitelist empty with a secure parameter", _set("domainWhitelist", []), "domainWhitelist"),
    ("domainWhitelist without the service host", _set("domainWhitelist", ["other.test"]), "domainWhitelist"),
    ("parameters not an array", _set("parameters", {"a": 1}), "parameters"),
    ("parameter without a name", lambda m: m["parameters"].append({"type": "text"}), "parameters[2]"),
    ("duplicate parameter", lambda m: m["parameters"].append({"name": "service_url", "type": "url"}), "parameters[service_url]"),
    ("parameter called name", lambda m: m["parameters"].append({"name": "name"}), "parameters[name]"),
    ("unknown parameter type", _param("service_url", "type", "link"), "parameters[service_url].type"),
    ("required is not a boolean", _param("service_url", "required", "yes"), "parameters[service_url].required"),
    ("hidden and required", lambda m: m["parameters"].append({"name": "h", "type": "hidden", "required": True}),
     "parameters[h]"),
    ("secure oauth", lambda m: m["parameters"].append({"name": "o", "type": "oauth", "secure": True}), "parameters[o]"),
    ("scopes not a list of strings", _param("agent_token", "scopes", "header"), "parameters[agent_token].scopes"),
    ("agent token not secure", _param("agent_token", "secure", False), "parameters[agent_token].secure"),
    ("agent token not scoped to the header", _param("agent_token", "scopes", ["body"]), "parameters[agent_token].scopes"),
    ("agent token missing", lambda m: m["parameters"].remove(param(m, "agent_token")), "parameters[agent_token]"),
    ("service url missing", lambda m: m["parameters"].remove(param(m, "service_url")), "parameters[service_url]"),
]


@pytest.mark.parametrize(("broken", "change", "key"), MANIFEST_RULES, ids=[r[0] for r in MANIFEST_RULES])
def test_each_manifest_rule_names_the_file_and_key(source, broken, change, key) -> None:
    report = validate(with_manifest(built(source), change), service_url=URL)
    assert ("manifest.json", key) in {(p.file, p.key) for p in report.errors}, [str(p) for p in report.errors]
    assert any(str(p).startswith(f"manifest.json: {key}: ") for p in report.errors)


WARNING_RULES = [
    ("secure parameter without scopes", _param("agent_token", "scopes", None), "parameters[agent_token].scopes"),
    ("token-like parameter not secure", lambda m: m["parameters"].append({"name": "api_key", "type": "text"}),
     "parameters[api_key].secure"),
    ("secure parameter with a default", _param("agent_token", "default", "x"), "parameters[agent_token].default"),
    ("an unknown scope", _param("agent_token", "scopes", ["header", "cookie"]), "parameters[agent_token].scopes"),
]


@pytest.mark.parametrize(("broken", "change", "key"), WARNING_RULES, ids=[r[0] for r in WARNING_RULES])
def test_zendesk_warnings_are_reported(source, broken, change, key) -> None:
    report = validate(with_manifest(built(source), change), service_url=URL)
    assert ("manifest.json", key) in {(p.file, p.key) for p in report.warnings}


def test_a_wildcard_whitelist_entry_covers_the_service() -> None:
    files = with_manifest(built(read_source(APP_DIR)), _set("domainWhitelist", ["*.acme.test"]))
    assert validate(files, service_url=URL).ok


@pytest.mark.parametrize(
    ("files_change", "file", "key", "message"),
    [
        (lambda f: f.pop("manifest.json"), "manifest.json", "", "missing"),
        (lambda f: f.__setitem__("manifest.json", b'{"author": {},\n "author": 1}'), "manifest.json", "author", "twice"),
        (lambda f: f.__setitem__("manifest.json", b'{\n  "name": "x",\n}'), "manifest.json", "", "line 3"),
        (lambda f: f.__setitem__("manifest.json", b"[]"), "manifest.json", "", "JSON object"),
        (lambda f: f.pop("translations/en.json"), "manifest.json", "defaultLocale", "translations/en.json"),
        (lambda f: f.__setitem__("translations/de.json", b'{"app": '), "translations/de.json", "", "not valid JSON"),
        (lambda f: f.__setitem__("translations/de.json", b"[1]"), "translations/de.json", "", "JSON object"),
        (lambda f: f.__setitem__("translations/German.json", b"{}"), "translations/German.json", "", "locale"),
        (lambda f: f.__setitem__("translations/en.json", b'{"app": {"short_description": "x"}}'),
         "translations/en.json", "app.name", "required"),
        (lambda f: f.__setitem__("translations/fr.json", b'{"app": {"name": "x", "parameters": {"agent_token": {}}}}'),
         "translations/fr.json", "app.parameters.agent_token", "label"),
        (lambda f: f.pop("assets/logo.png"), "assets/logo.png", "", "320x320"),
        (lambda f: f.pop("assets/logo-small.png"), "assets/logo-small.png", "", "128x128"),
        (lambda f: f.__setitem__("assets/logo.png", solid(300, 300)), "assets/logo.png", "", "is 300x300"),
        (lambda f: f.__setitem__("assets/logo-small.png", b"GIF89a..."), "assets/logo-small.png", "", "not a PNG"),
    ],
)
def test_each_file_rule_names_the_file(source, files_change, file, key, message) -> None:
    files = built(source)
    files_change(files)
    errors = validate(files, service_url=URL).errors
    hits = [p for p in errors if (p.file, p.key) == (file, key)]
    assert hits and message in hits[0].message, [str(p) for p in errors]


def test_a_public_app_needs_the_marketplace_texts(source) -> None:
    files = with_manifest(built(source), _set("private", False))
    files["translations/en.json"] = json.dumps({"app": {"name": "x"}}).encode()
    keys = {p.key for p in validate(files).errors if p.file == "translations/en.json"}
    assert {"app.short_description", "app.long_description", "app.installation_instructions"} <= keys


def test_a_nested_manifest_is_explained(source) -> None:
    nested = {f"zendesk_app/{k}": v for k, v in built(source).items()}
    [problem] = validate(nested).errors
    assert "zendesk_app/manifest.json was found" in problem.message


def test_a_small_icon_without_transparency_is_a_warning(source) -> None:
    files = {**built(source), "assets/logo-small.png": solid(128, 128)[:25] + bytes([2]) + solid(128, 128)[26:]}
    report = validate(files, service_url=URL)
    assert report.ok and [p.file for p in report.warnings] == ["assets/logo-small.png"]


def test_png_header_reading() -> None:
    assert (info(solid(7, 3)).width, info(solid(7, 3)).height) == (7, 3)
    with pytest.raises(NotPNG, match="signature"):
        info(b"not an image")
    with pytest.raises(NotPNG, match="truncated"):
        info(solid(1, 1)[:20])


# --- the command ---------------------------------------------------------------------------------


def test_cli_writes_the_zip(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    result = CliRunner().invoke(main, ["zendesk", "app", "--url", URL, "--out", str(out), "--source", str(APP_DIR)])
    assert result.exit_code == 0, result.output
    assert "passes Zendesk's checks" in result.output
    files = from_zip(out.read_bytes())
    assert json.loads(files["manifest.json"])["domainWhitelist"] == ["triage.acme.test"]
    assert "assets/labels.js" in files and validate(files, service_url=URL).ok


def test_cli_refuses_a_broken_app_naming_file_and_key(tmp_path: Path) -> None:
    src = tmp_path / "app"
    for rel, data in read_source(APP_DIR).items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    (src / "assets" / "logo.png").unlink()
    manifest = json.loads((src / "manifest.json").read_text())
    param(manifest, "agent_token").pop("scopes")
    (src / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "app.zip"
    result = CliRunner().invoke(main, ["zendesk", "app", "--url", URL, "--out", str(out), "--source", str(src)])
    assert result.exit_code == 1 and not out.exists()
    assert "error: assets/logo.png: is required: a 320x320 PNG" in result.output
    assert "error: manifest.json: parameters[agent_token].scopes: must include \"header\"" in result.output
    assert "no zip written" in result.output


@pytest.mark.parametrize(("args", "message"), [(["--url", "http://example.test"], "https"),
                                               (["--url", URL, "--source", "/nonexistent"], "no manifest.json")])
def test_cli_usage_errors(args, message, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["zendesk", "app", *args, "--out", str(tmp_path / "a.zip")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_cli_finds_the_shipped_app_from_anywhere(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./zendesk_app here: the app beside the package is used
    result = CliRunner().invoke(main, ["zendesk", "app", "--url", URL])
    assert result.exit_code == 0, result.output
    assert validate(from_zip((tmp_path / "amazon-triage-zendesk-app.zip").read_bytes()), service_url=URL).ok


def test_cli_warns_that_a_local_url_is_for_tests_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["zendesk", "app", "--url", "http://127.0.0.1:8000", "--out", str(tmp_path / "a.zip"),
                                       "--source", str(APP_DIR)])
    assert result.exit_code == 0 and "for local tests only" in result.output
