"""Check a Zendesk app package the way Zendesk's own validator does, before an admin uploads it.

The rules follow zendesk/zendesk_apps_support (``validations/manifest.rb``, ``translations.rb``,
``secure_settings.rb``, ``package.rb``) for what this app uses, plus the brand-asset rules of Zendesk's
"Create app brand assets" page, plus what this app needs to work at all (the secure agent token must reach
the service: its host whitelisted, the parameter scoped to the header). Every problem names the file and
the key, so the message says where to look.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .png import NotPNG, info

# zendesk_apps_support: AppVersion::TO_BE_SERVED, Manifest::Parameter::TYPES, Location, Product.
FRAMEWORK_VERSIONS = ("2.0",)
PARAMETER_TYPES = ("text", "checkbox", "url", "number", "multiline", "hidden", "oauth", "mtls")
LOCATIONS = {
    "support": {"top_bar", "nav_bar", "ticket_sidebar", "new_ticket_sidebar", "user_sidebar", "organization_sidebar",
                "background", "modal", "ticket_editor", "system_top_bar", "custom_object_record_sidebar"},
    "chat": {"chat_sidebar", "background"},
    "standalone_chat": {"nav_bar", "system_top_bar"},
    "sell": {"deal_card", "person_card", "company_card", "lead_card", "background", "modal", "dashboard", "note_editor",
             "call_log_editor", "email_editor", "top_bar", "visit_editor"},
}
REQUIRED_FIELDS = ("author", "defaultLocale", "location", "frameworkVersion")
BOOLEAN_FIELDS = ("requirementsOnly", "marketingOnly", "singleInstall", "signedUrls", "private")
STRING_FIELDS = ("defaultLocale", "version", "frameworkVersion", "remoteInstallationURL", "termsConditionsURL", "gaID")
VALID_LOCALE = re.compile(r"^[a-z]{2,3}(-\w{2,3})?$")
TRANSLATION_PATH = re.compile(r"^translations/(.*)\.json$")
SECURABLE_NAME = re.compile("token|key|pwd|password", re.IGNORECASE)
# Where a secure setting's placeholder may be expanded; Zendesk documents "header" (the others: UNVERIFIED).
KNOWN_SCOPES = ("header", "body", "url")
MARKETPLACE_KEYS = ("name", "short_description", "installation_instructions", "long_description")
# Zendesk's "Create app brand assets": required icons and their exact sizes.
ICONS = {"assets/logo.png": (320, 320), "assets/logo-small.png": (128, 128)}
# What this app needs on top of Zendesk's rules.
TOKEN_PARAMETER, URL_PARAMETER = "agent_token", "service_url"


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}" if self.key else f"{self.file}: {self.message}"


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, file: str, key: str, message: str) -> None:
        self.errors.append(Problem(file, key, message))

    def warn(self, file: str, key: str, message: str) -> None:
        self.warnings.append(Problem(file, key, message))


class DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def _load_json(report: Report, files: Mapping[str, bytes], path: str) -> Any:
    """The parsed file, or None after recording why it cannot be read."""
    try:
        return json.loads(files[path].decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        report.error(path, "", "is not UTF-8 text")
    except DuplicateKey as exc:
        report.error(path, str(exc), "the key appears twice; keep one")
    except json.JSONDecodeError as exc:
        report.error(path, "", f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    return None


def _valid_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _manifest_types(report: Report, m: dict[str, Any]) -> None:
    f = "manifest.json"
    for key in BOOLEAN_FIELDS:
        if key in m and not isinstance(m[key], bool):
            report.error(f, key, f"must be true or false, got {m[key]!r}")
    for key in STRING_FIELDS:
        if key in m and not isinstance(m[key], str):
            report.error(f, key, f"must be a string, got {m[key]!r}")
    author = m.get("author")
    if author is not None:
        if not isinstance(author, dict):
            report.error(f, "author", "must be an object with name, email and url")
        else:
            for key in ("name", "email", "url"):
                if key in author and not isinstance(author[key], str):
                    report.error(f, f"author.{key}", "must be a string")
            if author.get("url") and not _valid_http_url(author["url"]):
                report.error(f, "author.url", f"is not a valid http(s) URL: {author['url']!r}")
    whitelist = m.get("domainWhitelist")
    if whitelist is not None and not (isinstance(whitelist, list) and all(isinstance(d, str) for d in whitelist)):
        report.error(f, "domainWhitelist", "must be an array of domain names (strings)")
    if "parameters" in m and not isinstance(m["parameters"], list):
        report.error(f, "parameters", "must be an array")


def _locations(report: Report, m: dict[str, Any], files: Mapping[str, bytes]) -> None:
    f = "manifest.json"
    location = m.get("location")
    if location is None:
        return
    if not isinstance(location, dict) or not location:
        report.error(f, "location", "must name at least one product and location, e.g. {\"support\": {\"ticket_sidebar\": ...}}")
        return
    for host, places in location.items():
        if host not in LOCATIONS:
            report.error(f, f"location.{host}", f"unknown product {host!r} (one of {', '.join(sorted(LOCATIONS))})")
            continue
        if not isinstance(places, dict) or not places:
            report.error(f, f"location.{host}", "must map location names to their options")
            continue
        for name, options in places.items():
            key = f"location.{host}.{name}"
            if name not in LOCATIONS[host]:
                report.error(f, key, f"unknown {host} location {name!r}")
                continue
            url = options if isinstance(options, str) else options.get("url") if isinstance(options, dict) else None
            if isinstance(options, dict) and "flexible" in options and not isinstance(options["flexible"], bool):
                report.error(f, f"{key}.flexible", "must be true or false")
            if not isinstance(url, str) or not url:
                if not (isinstance(options, dict) and options.get("autoLoad") is False):
                    report.error(f, f"{key}.url", "is missing: give the page to load, e.g. assets/iframe.html")
                continue
            if "{{setting." in url:
                continue
            parts = urlsplit(url)
            if parts.scheme:
                if not (parts.scheme == "https" or parts.hostname == "localhost"):
                    report.error(f, f"{key}.url", f"an absolute URL must use https: {url!r}")
            elif not parts.path.startswith("assets/"):
                report.error(f, f"{key}.url", f"a relative URL must point into assets/: {url!r}")
            elif parts.path not in files:
                report.error(f, f"{key}.url", f"{parts.path} is not in the package")


def _parameters(report: Report, m: dict[str, Any]) -> list[dict[str, Any]]:
    f = "manifest.json"
    params = m.get("parameters")
    if not isinstance(params, list):
        return []
    good: list[dict[str, Any]] = []
    names: list[str] = []
    for i, p in enumerate(params):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str) or not p["name"]:
            report.error(f, f"parameters[{i}]", "every parameter needs a \"name\"")
            continue
        name = p["name"]
        key = f"parameters[{name}]"
        if name in names:
            report.error(f, key, "is defined twice (parameter names must be unique)")
        names.append(name)
        if name == "name":
            report.error(f, key, "\"name\" cannot be used as a parameter name")
        for flag in ("required", "secure"):
            if flag in p and not isinstance(p[flag], bool):
                report.error(f, f"{key}.{flag}", f"must be true or false, got {p[flag]!r}")
        kind = p.get("type", "text")
        if kind not in PARAMETER_TYPES:
            report.error(f, f"{key}.type", f"unknown type {kind!r} (one of {', '.join(PARAMETER_TYPES)})")
        if kind == "hidden" and p.get("required") is True:
            report.error(f, key, "a hidden parameter cannot be required")
        if kind == "oauth" and p.get("secure") is True:
            report.error(f, key, "an oauth parameter cannot be secure")
        scopes = p.get("scopes")
        if scopes is not None:
            if not (isinstance(scopes, list) and scopes and all(isinstance(s, str) for s in scopes)):
                report.error(f, f"{key}.scopes", "must be a non-empty array of strings, e.g. [\"header\"]")
            else:
                for s in scopes:
                    if s not in KNOWN_SCOPES:
                        report.warn(f, f"{key}.scopes", f"{s!r} is not a scope this validator knows ({', '.join(KNOWN_SCOPES)})")
        # zendesk_apps_support's SecureSettings: warnings there, kept as warnings here.
        if p.get("secure") is True and not scopes:
            report.warn(f, f"{key}.scopes", "a secure parameter should say where it may be used, e.g. \"scopes\": [\"header\"]")
        if kind == "text" and SECURABLE_NAME.search(name) and p.get("secure") is not True:
            report.warn(f, f"{key}.secure", "looks like a secret: make it \"secure\": true so agents' browsers never see it")
        if "default" in p and (p.get("secure") is True or kind == "hidden"):
            report.warn(f, f"{key}.default", "a secure or hidden parameter should not have a default")
        good.append(p)
    if sum(1 for p in good if p.get("type") == "oauth") > 1:
        report.error(f, "parameters", "at most one oauth parameter")
    return good


def _translations(report: Report, files: Mapping[str, bytes], manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = {}
    for path in sorted(files):
        match = TRANSLATION_PATH.match(path)
        if not match:
            continue
        if not VALID_LOCALE.match(match[1]):
            report.error(path, "", f"{match[1]!r} is not a locale name (e.g. en, de, pt-br)")
            continue
        data = _load_json(report, files, path)
        if data is None:
            continue
        if not isinstance(data, dict):
            report.error(path, "", "must be a JSON object")
            continue
        app = data.get("app")
        if app is not None and not isinstance(app, dict):
            report.error(path, "app", "must be an object")
            continue
        for pname, node in ((app or {}).get("parameters") or {}).items():
            if not (isinstance(node, dict) and "label" in node):
                report.error(path, f"app.parameters.{pname}", "needs a \"label\"")
        loaded[match[1]] = data
    en = loaded.get("en")
    if en is not None:
        keys = set((en.get("app") or {}).keys()) | ({"short_description"} if "description" in (en.get("app") or {}) else set())
        needed = ("name",) if manifest.get("private", True) is True else MARKETPLACE_KEYS
        for key in needed:
            if key not in keys:
                report.error("translations/en.json", f"app.{key}", "is required")
    elif "translations/en.json" not in files:
        report.error("translations/en.json", "", "is required (it holds app.name)")
    return loaded


def _icons(report: Report, files: Mapping[str, bytes]) -> None:
    for path, (width, height) in ICONS.items():
        if path not in files:
            report.error(path, "", f"is required: a {width}x{height} PNG")
            continue
        try:
            png = info(files[path])
        except NotPNG as exc:
            report.error(path, "", str(exc))
            continue
        if (png.width, png.height) != (width, height):
            report.error(path, "", f"must be {width}x{height} pixels, is {png.width}x{png.height}")
        if path.endswith("logo-small.png") and not png.has_alpha:
            report.warn(path, "", "should have a transparent background (PNG-24 with alpha)")


def _host_whitelisted(host: str, whitelist: list[str]) -> bool:
    host = host.lower()
    for entry in whitelist:
        entry = entry.lower().strip()
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False


def _this_app(report: Report, m: dict[str, Any], params: list[dict[str, Any]], service_url: str | None) -> None:
    """What the sidebar needs to reach the service with the agent token."""
    f = "manifest.json"
    by_name = {p["name"]: p for p in params}
    token = by_name.get(TOKEN_PARAMETER)
    if token is None:
        report.error(f, f"parameters[{TOKEN_PARAMETER}]", "is missing: the sidebar sends it as its bearer token")
    else:
        if token.get("secure") is not True:
            report.error(f, f"parameters[{TOKEN_PARAMETER}].secure", "must be true: agents' browsers must never see the token")
        if "header" not in (token.get("scopes") or []):
            report.error(f, f"parameters[{TOKEN_PARAMETER}].scopes", "must include \"header\": the token travels in the Authorization header")
    if URL_PARAMETER not in by_name:
        report.error(f, f"parameters[{URL_PARAMETER}]", "is missing: the sidebar needs the service's address")
    whitelist = m.get("domainWhitelist")
    if any(p.get("secure") is True for p in params) and not whitelist:
        report.error(f, "domainWhitelist", "is empty: Zendesk sends secure settings only to the domains listed here")
    if service_url:
        host = urlsplit(service_url).hostname or ""
        if isinstance(whitelist, list) and all(isinstance(d, str) for d in whitelist) and not _host_whitelisted(host, whitelist):
            report.error(f, "domainWhitelist", f"does not list {host}, the service's host: the agent token would not be sent there")
        default = (by_name.get(URL_PARAMETER) or {}).get("default")
        if default is not None and default != service_url:
            report.warn(f, f"parameters[{URL_PARAMETER}].default", f"is {default!r}, not the service URL {service_url!r}")


def validate(files: Mapping[str, bytes], service_url: str | None = None) -> Report:
    """Every problem Zendesk (or this app at run time) would have with the package ``files`` (path -> bytes)."""
    report = Report()
    if "manifest.json" not in files:
        nested = sorted(p for p in files if re.fullmatch(r"[^/]+/manifest\.json", p))
        hint = f" ({nested[0]} was found: zip the app's directory contents, not the directory)" if nested else ""
        report.error("manifest.json", "", "is missing from the package root" + hint)
        return report
    manifest = _load_json(report, files, "manifest.json")
    if manifest is None:
        return report
    if not isinstance(manifest, dict):
        report.error("manifest.json", "", "must be a JSON object")
        return report
    missing = [k for k in REQUIRED_FIELDS if manifest.get(k) is None]
    for key in missing:
        report.error("manifest.json", key, "is required")
    _manifest_types(report, manifest)
    locale = manifest.get("defaultLocale")
    if isinstance(locale, str):
        if not VALID_LOCALE.match(locale):
            report.error("manifest.json", "defaultLocale", f"{locale!r} is not a locale name (e.g. en)")
        elif f"translations/{locale}.json" not in files:
            report.error("manifest.json", "defaultLocale", f"translations/{locale}.json, the default locale's file, is missing")
    _locations(report, manifest, files)
    version = manifest.get("frameworkVersion")
    if version is not None and version not in FRAMEWORK_VERSIONS:
        report.error("manifest.json", "frameworkVersion", f"{version!r} is not served by Zendesk (use {', '.join(FRAMEWORK_VERSIONS)})")
    params = _parameters(report, manifest)
    _translations(report, files, manifest)
    _icons(report, files)
    _this_app(report, manifest, params, service_url)
    return report
