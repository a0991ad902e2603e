"""Pure detectors of personal values in free text: e-mail, tax code, IBAN, phone, names.

One door for the patterns that the intake guard (:mod:`fragmap.reports`), the file-name
check of :mod:`fragmap.ingest` and the privacy audit (:mod:`fragmap.privacy`) share.
Nothing here opens a file; nothing here ever returns the value it found, only its kind,
or the text with the value masked.

Examples
--------
>>> personal_kind("RSSMRA80A01G388X"), personal_kind("Anziani")
('tax_code', None)
>>> mask_personal("segnalazioni_RSSMRA80A01G388X.csv")
'segnalazioni_[codice fiscale].csv'
"""

from __future__ import annotations

import re

from fragmap.i18n import translate

__all__ = ["KINDS", "find_personal", "iban_ok", "mask_personal", "personal_kind"]

#: Kinds found by :func:`personal_kind`, in the order they are tried.
KINDS = ("email", "tax_code", "iban", "phone", "name")

# Boundaries are "not a letter or digit" (not ``\b``): in a file name "_" sits next to the value.
_EDGE_L = r"(?<![A-Za-z0-9])"
_EDGE_R = r"(?![A-Za-z0-9])"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TAX_CODE = re.compile(_EDGE_L + r"[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]" + _EDGE_R,
                      re.IGNORECASE)
#: An IBAN candidate (country, check digits, 11-30 letters/digits, spaces allowed every 4);
#: :func:`iban_ok` then checks the ISO 13616 mod-97 checksum, so ordinary codes pass.
IBAN = re.compile(_EDGE_L + r"[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}" + _EDGE_R, re.IGNORECASE)
#: Italian phone numbers: mobile (3xx + 6-7 digits) or landline (0 + area + number), with an
#: optional +39 / 0039 prefix and the usual separators.
PHONE = re.compile(
    r"(?<![\d,.])(?:\+|00)?(?:39[\s.-]?)?(?:3\d{2}|0\d{1,3})[\s./-]?\d{3,4}[\s./-]?\d{3,4}(?![\d,.])"
)
#: The narrower phone pattern used where digits are expected (report ids): a mobile number
#: (3xx and 6-7 more digits), any number written with the +39 / 0039 prefix, or a landline
#: written with a separator after its area code and 9-11 digits in all ("0382 526677";
#: "00012345" and "0382-2026-0001" stay ids).
PHONE_STRICT = re.compile(
    r"^\s*(?:(?:\+|00)39[\s./-]?\d[\d\s./-]{7,12}|(?:39[\s./-]?)?3\d{2}[\s./-]?\d{3}[\s./-]?\d{3,4}"
    r"|0(?:\d{3}[\s./-]\d{5,7}|\d{2}[\s./-]\d{6,8}|\d[\s./-]\d{7,8}))\s*$"
)
_LABELS = {
    "email": {"it": "e-mail", "en": "e-mail"},
    "tax_code": {"it": "codice fiscale", "en": "tax code"},
    "iban": {"it": "IBAN", "en": "IBAN"},
    "phone": {"it": "telefono", "en": "phone"},
    "name": {"it": "nome", "en": "name"},
}


def iban_ok(text: str) -> bool:
    """Whether ``text`` (spaces allowed) is an IBAN with a valid ISO 13616 checksum.

    Examples
    --------
    >>> iban_ok("IT60X0542811101000000123456"), iban_ok("IT61X0542811101000000123456")
    (True, False)
    """
    s = re.sub(r"\s+", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    digits = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(digits) % 97 == 1


def _ibans(text: str) -> list[re.Match[str]]:
    return [m for m in IBAN.finditer(text) if iban_ok(m.group())]


def personal_kind(text: str, *, names: bool = True, phones: bool = True) -> str | None:
    """The kind of personal value ``text`` holds (one of :data:`KINDS`), or None.

    Parameters
    ----------
    text : str
        Any text (a cell, a header, a file name).
    names : bool
        Also look for a person's name (:func:`fragmap.reports.looks_like_person`).
    phones : bool
        Also look for phone numbers (off where long digit runs are normal).

    Returns
    -------
    str or None

    Examples
    --------
    >>> personal_kind("mario.rossi@example.it"), personal_kind("Mario Rossi")
    ('email', 'name')
    >>> personal_kind("IT60X0542811101000000123456"), personal_kind("333 1234567")
    ('iban', 'phone')
    """
    if not text:
        return None
    if EMAIL.search(text):
        return "email"
    if TAX_CODE.search(text):
        return "tax_code"
    if _ibans(text):
        return "iban"
    if phones and PHONE.search(text):
        return "phone"
    if names:
        from fragmap.reports.names import looks_like_person

        if looks_like_person(text):
            return "name"
    return None


def find_personal(text: str, *, phones: bool = True) -> list[tuple[str, str]]:
    """Every (kind, value) of e-mail, tax code, IBAN and phone found in ``text``.

    ``phones=False`` leaves phone numbers out (the audit searches them its own way).

    For the audit of published text: the caller reports the kind and never the value.
    Names are not searched (a published page is full of street and place names).

    Examples
    --------
    >>> [k for k, _ in find_personal("scrivere a a.b@c.it o al 333 1234567")]
    ['email', 'phone']
    """
    out = [("email", m.group()) for m in EMAIL.finditer(text)] if "@" in text else []
    out += [("tax_code", m.group()) for m in TAX_CODE.finditer(text)]
    out += [("iban", m.group()) for m in _ibans(text)]
    if phones:
        out += [("phone", m.group()) for m in PHONE.finditer(text)]
    return out


def mask_personal(text: str, language: str = "it") -> str:
    """``text`` with every e-mail, tax code, IBAN and phone number replaced by its kind.

    Used to name a file in messages when its name itself carries a personal value.

    Examples
    --------
    >>> mask_personal("lista 333-1234567 mario.rossi@example.it.csv", "en")
    'lista [phone] [e-mail]'
    """
    out = EMAIL.sub(f"[{translate(_LABELS, 'email', language)}]", text)
    out = TAX_CODE.sub(f"[{translate(_LABELS, 'tax_code', language)}]", out)
    for m in reversed(_ibans(out)):
        out = out[:m.start()] + f"[{translate(_LABELS, 'iban', language)}]" + out[m.end():]
    out = PHONE.sub(f"[{translate(_LABELS, 'phone', language)}]", out)
    return out


def label(kind: str, language: str = "it") -> str:
    """A short label of a kind ("codice fiscale", "phone"...)."""
    return _LABELS.get(kind, {}).get(language, kind)
