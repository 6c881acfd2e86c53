"""Redaction of secret material in streamed output: known secret values plus patterns (age identities,
PEM blocks, base64-wrapped PEM, bearer/op tokens, kubeconfig/talosconfig key data). Line-stateful, so a
PEM block split over many lines is hidden from its BEGIN line to its END line."""

from __future__ import annotations

import re

MASK = "[REDACTED]"
PEM_MASK = "[REDACTED PRIVATE KEY]"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_PATTERNS = (
    re.compile(r"AGE-SECRET-KEY-1[0-9A-Za-z]{20,}"),
    re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{16,}"),  # base64("-----BEGIN ...") as in talos/kube configs
    re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{12,}"),
    re.compile(r"\bops_[A-Za-z0-9_-]{20,}"),  # 1Password service-account token
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub tokens
    # YAML/JSON keys whose values are secret by name
    re.compile(r"(?i)((?:client-key-data|token|password|secret|private[_-]?key|identity|age\.agekey|agekey|api[_-]?token)\"?\s*[:=]\s*\"?)([^\s\"',}{]{8,})"),
)
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")


def strip_ansi(text: str) -> str:
    """Remove colour/cursor escapes; keep only the last ``\\r`` segment (progress redraws)."""
    text = _ANSI.sub("", text)
    if "\r" in text:
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    return text


class Redactor:
    """Replaces secret material by ``[REDACTED]``. ``add()`` registers values known to be secret
    (decrypted deploy key, age identities, op-injected values); each line of a multi-line value is
    registered too, so the value is hidden even when a tool prints it line by line."""

    def __init__(self, secrets: tuple[str, ...] | list[str] = ()):
        self._known: set[str] = set()
        self._in_pem = False
        for s in secrets:
            self.add(s)

    def add(self, value: str | None) -> None:
        if not value:
            return
        for part in [value, *value.splitlines()]:
            part = part.strip()
            if len(part) >= 8 and not _PEM_LINE_LABEL.fullmatch(part):
                self._known.add(part)

    def line(self, text: str) -> str:
        """Redact one line of a stream (keeps PEM state across calls). The BEGIN/END markers go too:
        a private-key marker in a log is itself flagged by secret scanners."""
        if self._in_pem:
            m = _PEM_END.search(text)
            if m is None:
                return MASK
            self._in_pem = False
            return self.text(MASK + text[m.end():])
        m = _PEM_BEGIN.search(text)
        if m:
            if _PEM_END.search(text, m.end()) is None:
                self._in_pem = True
                return self.text(text[: m.start()]) + PEM_MASK
        return self.text(text)

    def text(self, text: str) -> str:
        """Redact a whole (possibly multi-line) text without touching the stream state."""
        if "PRIVATE KEY-----" in text:
            text = re.sub(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
                          PEM_MASK, text, flags=re.S)
        # longest first so a value containing another is replaced whole
        for s in sorted(self._known, key=len, reverse=True):
            if s in text:
                text = text.replace(s, MASK)
        for pat in _PATTERNS:
            if pat.groups == 2:
                text = pat.sub(lambda m: m.group(1) + MASK, text)
            elif pat.groups == 1:
                text = pat.sub(lambda m: m.group(1) + " " + MASK, text)
            else:
                text = pat.sub(MASK, text)
        return text


_PEM_LINE_LABEL = re.compile(r"-----(BEGIN|END) [A-Z0-9 ]+-----")
