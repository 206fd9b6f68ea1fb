"""Escaping and fitting text for Slack mrkdwn, and Slack's documented size limits.

Every value that may come from Salesforce is escaped for mrkdwn (`&`, `<`, `>`), so a lead named
`<!channel>` cannot ping a channel and `<https://evil|click>` cannot become a link; truncation never
cuts an escape entity or a link in half. Imports nothing of ours except lib.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from routing_health.lib.sfid import is_sf_id

# Slack's documented limits (Block Kit reference, chat.postMessage).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_SECTION_FIELDS = 10
MAX_HEADER_TEXT = 150


# chat.postMessage truncates `text` at 40,000 characters; Slack advises at most 4,000.
MAX_FALLBACK_TEXT = 4000
MAX_RECORD_LINKS = 10
ELLIPSIS = "…"
_MAX_URL_LENGTH = 1000


def text_length(text: str) -> int:
    """Length as Slack's (JavaScript) limits count it: UTF-16 code units, >= `len(text)`."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape_mrkdwn(text: object) -> str:
    """Escape `&`, `<` and `>` so Slack shows the text literally (no mentions, links or dates)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(text: object, limit: int | None = None) -> str:
    """One clean line of text: control characters and runs of whitespace become one space.

    Used for `plain_text` objects (headers), which Slack does not parse, and as the first step of
    the mrkdwn fallback. With `limit`, truncated to at most `limit` characters ending in "…".
    """
    cleaned = " ".join("".join(_clean_char(ch) for ch in str(text)).split())
    if limit is not None and text_length(cleaned) > limit:
        return _fit_tokens(list(cleaned), limit)
    return cleaned


_KEEP_FORMAT_CHARS = {"\u200c", "\u200d"}  # (non-)joiners hold emoji sequences together


def _clean_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cc":
        return " "  # newlines, tabs and other controls
    if category == "Cf" and ch not in _KEEP_FORMAT_CHARS:
        return ""  # bidi overrides, zero-width spaces: invisible spoofing
    if category == "Cs":
        return "\ufffd"  # a lone surrogate cannot be sent as JSON text
    return ch


# An escaped mrkdwn string is a sequence of atoms: a `<…>` link made by us (all foreign `<` are
# escaped), an escape entity, or one character. Truncation only ever drops whole atoms.
_ATOM = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);|.", re.DOTALL)


def fit_mrkdwn(text: str, limit: int) -> str:
    """`text` (already escaped mrkdwn) cut to at most `limit` characters, ending in "…" if cut.

    Never splits an escape entity such as `&amp;` or a `<url|label>` link.
    """
    if text_length(text) <= limit:
        return text
    return _fit_tokens(_ATOM.findall(text), limit)


def _fit_tokens(tokens: Sequence[str], limit: int) -> str:
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for token in tokens:
        size = text_length(token)
        if used + size > budget:
            break
        out.append(token)
        used += size
    return "".join(out).rstrip() + ELLIPSIS


def mrkdwn_value(raw: object, limit: int) -> str:
    """A Salesforce value as one escaped mrkdwn line of at most `limit` characters."""
    return fit_mrkdwn(escape_mrkdwn(plain_text(raw)), limit)


def link_label(raw: str, limit: int) -> str:
    # `|` separates URL and label inside `<url|label>`: a label containing one would let the
    # text after it (or before it) be read as the link target.
    return mrkdwn_value(raw.replace("|", " "), limit)


_URL_UNSAFE = re.compile(r"[\s<>|\"'`\\^{}]")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")


def _base_url(url: str) -> tuple[str, str, str, str] | None:
    """(scheme, host, path, query) of an http(s) URL safe inside `<url|label>`, else None."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in {"http", "https"} or not _HOST.fullmatch(parts.netloc or ""):
        return None
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    return parts.scheme.lower(), parts.netloc, path, parts.query


def record_url(instance_url: str, lead_id: str) -> str | None:
    """`https://<instance>/lightning/r/Lead/<Id>/view`, or None for a bad Id or instance URL."""
    base = _base_url(instance_url)
    if base is None or not is_sf_id(lead_id):
        return None
    scheme, host, path, _ = base
    return f"{scheme}://{host}{path.rstrip('/')}/lightning/r/Lead/{lead_id}/view"


def filtered_dashboard_url(url: str, segment: Mapping[str, str]) -> str | None:
    """The dashboard URL with the segment added as query filters (unless already present).

    Falls back to the unfiltered URL when the filtered one would be unreasonably long, and to None
    when the URL is not a plain http(s) URL.
    """
    base = _base_url(url) if url else None
    if base is None:
        return None
    scheme, host, path, query = base
    pairs = parse_qsl(query, keep_blank_values=True)
    present = {key for key, _ in pairs}
    filtered = pairs + [(k, v) for k, v in segment.items() if k not in present and v]
    for candidate in (filtered, pairs):
        try:
            built = urlunsplit((scheme, host, path, urlencode(candidate), ""))
        except UnicodeEncodeError:
            continue
        if len(built) <= _MAX_URL_LENGTH and not _URL_UNSAFE.search(built):
            return built
    return None


def _link(url: str, label: str) -> str:
    """`<url|label>`; `label` must already be escaped and free of `|`."""
    return f"<{escape_mrkdwn(url)}|{label}>"
