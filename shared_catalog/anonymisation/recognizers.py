"""Our Danish recognizers, as Presidio recognizers whose entity types are our kinds.

They read the raw text with regular expressions (a blank spaCy pipeline has no trained
components to lean on); person names come from the seed lists, in name-like context only,
because many Danish first names are also ordinary words ("mark", "bo", "per"). At the start
of a sentence such a word is the word unless what follows is what follows a person: a person's
verb ("Bo ringede"), or "og"/"," and another first name ("Per og Louise"); before a count, a
date or a unit ("Per måned", "Per 1. januar") it is never a name. A municipality's name
("Aarhus Kommune", "Nyborg Kommune") names an organisation, not a person: not personal data.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer

import autoproces.platform

Span = tuple[int, int, str, float]  # start, end, kind, score

UPPER = "A-ZÆØÅÉÜÖÄ"
LOWER = "a-zæøåéüöäè"
WORD = rf"[{UPPER}][{LOWER}]+(?:-[{UPPER}][{LOWER}]+)?"


# The name lists the demo draws its people from (platform/seed/SOURCES.md).
SEED_DIR = Path(next(iter(autoproces.platform.__path__))) / "seed"


@cache
def _seed(name: str) -> frozenset[str]:
    text = (SEED_DIR / name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def first_names() -> frozenset[str]:
    return _seed("danish_first_names.txt")


def surnames() -> frozenset[str]:
    return _seed("danish_surnames.txt")


# First names that are also ordinary Danish words (or months, or system names): capitalised
# at the start of a sentence they are the word ("Mark feltet", "Per måned", "Hans sag").
AMBIGUOUS = frozenset(
    "Mark Bo Kim Per Ask Aske Hans Line Storm Liv Tage Kaj Frank Max Klara Rune Aksel Gry "
    "Birk Lærke Sten Bjørn Lykke August Mai Maj Viola Jasmin Svend Alma Sol Nova Vilde Juni "
    "Fred Pil Rose Sejr Ben Tom Sine Stig Thi Rosa Ib Kalle Ann Jes".split()
)
# Those of them that often open a sentence in a process text, as a verb, a preposition or a
# pronoun: even a known user's first name is not a name there.
SENTENCE_WORDS = frozenset("Mark Per Hans Line Tage Klara Max August Mai Maj Juni Sol Ask".split())
# Names in AMBIGUOUS that the seed lists lack ("Ask", "Rose"): first names all the same, where the
# context says so. Not the months, nor "Thi" (the conjunction).
EXTRA_FIRST = AMBIGUOUS - frozenset("Juni Maj Mai August Thi Sol Fred Sejr".split())
# After a word of AMBIGUOUS at the start of a sentence, these make it a person: it does
# something a person does ("Bo ringede", "Kim skrev", "Lærke har bygget"). Past tense and
# "har": the verb "bo" and the preposition "per" are never followed by them (nouns may be:
# NOUN_NAMES).
PERSON_VERBS = frozenset(
    """har havde ringede skrev sagde svarede spurgte fortalte mente oplyste testede byggede
    lavede kontaktede sendte bad fandt foreslog viste gennemgik beskrev godkendte
    underskrev deltog fik valgte besluttede aftalte tjekkede""".split()
)
# Of those, what only a person does: after these even a surname that is also a word
# ("Holm", "Skov", "Storm") is the person ("Holm skrev", but "Storm har væltet" is weather).
SPEECH_VERBS = frozenset(
    """ringede skrev sagde svarede spurgte fortalte mente oplyste kontaktede foreslog bad
    godkendte underskrev deltog besluttede aftalte""".split()
)
# Names that are nouns, which may do what a thing does ("Storm har væltet træer", "Aske har
# ingen værdi"): a person only before a verb of SPEECH_VERBS or in a list of names.
NOUN_NAMES = frozenset("Storm Sten Birk Ask Aske Lykke Liv Pil Sol Rose".split())
# A pronoun right after the verb is its subject: the word before was fronted, not a person
# ("Mark fik vi ikke testet").
SUBJECT_PRONOUNS = frozenset("jeg du han hun vi I de man den det der".split())
# After "Per" (and the other words), a count, a date or a unit: the preposition ("Per måned",
# "Per 1. januar", "Per stk."), never a name, wherever it stands.
COUNT_WORDS = frozenset(
    """måned md. år uge dag døgn time kvartal stk stk. sag ansøgning borger person
    medarbejder gang""".split()
)
# Capitalised words that are never a person here: systems, vendors, places in the trade.
NEVER_NAMES = frozenset(
    "KMD Opera Nova Nexus SBSYS Acadre Fasit UiPath Blue Prism Digital Post Microsoft Power "
    "Automate Outlook Excel Word Teams NemID MitID NemKonto Borger Kommune Kommunen Region "
    "Danmark Aarhus København Odense Aalborg Esbjerg Randers Kolding Horsens Vejle Roskilde "
    "Herning Silkeborg Næstved Viborg Skive Holstebro".split()
)
# After these the capitalised words are a system's name, not a person's ("KMD Nova").
SYSTEM_PREFIXES = frozenset("KMD Blue Digital Microsoft Power Schultz Netcompany EG".split())
# After these a name is a saint's day or a place: "Sankt Hans", "Skt. Hans Torv".
SAINTS = frozenset("Sankt Skt Sct".split())
# After a name, these make it a place or an institution ("Marie Kruses Skole").
INSTITUTION_WORDS = frozenset(
    "Kommune Kommunes Skole Skolen Hospital Hospitalet Plejecenter Plejehjem Børnehave "
    "Børnehaven Vej Gade Allé Plads Center Centret Hus Huset Gymnasium Kollegium Park "
    "Bibliotek Biblioteket Institut Fond Fonden Region Regions".split()
)
# Words after which a capitalised first name or surname is a person.
CUES = frozenset(
    """kontakt kontakte kontaktperson kontaktpersonen sagsbehandler sagsbehandleren spørg
    spørge hos borger borgeren borgerens borgere fru hr hr. frk ved v/ ring ringe skriv skrive
    mail maile teamleder teamlederen leder lederen chef chefen kollega kollegaen kolleger
    medarbejder medarbejderen konsulent konsulenten socialrådgiver socialrådgiveren
    afdelingsleder afdelingslederen ansat projektleder projektlederen udvikler udvikleren
    fagperson superbruger superbrugeren koordinator koordinatoren navn navnet ansøger
    ansøgeren klient klienten patient patienten""".split()
)
TITLES = frozenset("fru hr hr. frk frk. borger borgeren".split())
SURNAME_ENDINGS = (
    "sen", "gaard", "gård", "strup", "rup", "holm", "lund", "skov", "berg", "mann", "toft",
    "bæk", "bjerg", "dal", "høj", "kjær", "gren", "quist", "vig", "torp",
)

TOKEN = re.compile(rf"{WORD}|[{LOWER}][{LOWER}]*\.?|v/|\S")


def _is_sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t")
    if not before or before[-1] in "\n.!?:;\"'(–•*":
        return True
    # List items: "- Mette har …", "1) …"
    return bool(re.search(r"(?:^|\n)\s*(?:[-*•]|\d+[.)])$", before))


def _is_first(word: str) -> bool:
    """A first name of the seed lists (or of AMBIGUOUS), hyphenated ones too: "Anne-Marie"."""
    return (word in first_names() or word in EXTRA_FIRST
            or all(p in first_names() for p in word.split("-")))


def _genitive_base(word: str, known_first: frozenset[str]) -> str:
    """"Mettes" is Mette's: the name without the genitive s ("Jens", "Lars" stay)."""
    if (word.endswith("s") and len(word) > 3 and word not in first_names()
            and word not in known_first
            and (word[:-1] in known_first or _is_first(word[:-1]))):
        return word[:-1]
    return word


def _surname_genitive(word: str) -> bool:
    """"Holms", "Mikkelsens": a surname with the genitive s."""
    return (word.endswith("s") and word not in surnames() and word not in first_names()
            and _looks_like_surname(word[:-1]))


def _person_context(tokens: list[tuple[int, int, str]], j: int,
                    known_first: frozenset[str], noun: bool = False) -> bool:
    """After the name (token j on): a person's verb ("Bo ringede"), or "og"/"," and another
    first name, as in a list of people ("Per og Louise", "Per, Ole og Susanne"). After a noun
    (NOUN_NAMES) only a verb of SPEECH_VERBS."""
    if j >= len(tokens):
        return False
    following = tokens[j][2]
    if following in (SPEECH_VERBS if noun else PERSON_VERBS):
        return not (j + 1 < len(tokens) and tokens[j + 1][2] in SUBJECT_PRONOUNS)
    if following in ("og", ",") and j + 1 < len(tokens):
        other = tokens[j + 1][2]
        return re.fullmatch(WORD, other) is not None and other not in NEVER_NAMES and (
            _is_first(other) or other in known_first)
    return False


def _count_after(tokens: list[tuple[int, int, str]], j: int) -> bool:
    """A count, a date or a unit next: "Per måned", "Per 1. januar", "Per 100 sager"."""
    return j < len(tokens) and (tokens[j][2][0].isdigit() or tokens[j][2] in COUNT_WORDS)


def _unit_after(tokens: list[tuple[int, int, str]], j: int,
                known_first: frozenset[str]) -> bool:
    """"og" and a capitalised word that is no name: "Bo og Støtte", "Mark og Vej", the name
    of a unit, not two people."""
    if j + 1 >= len(tokens) or tokens[j][2] != "og":
        return False
    other = tokens[j + 1][2]
    return (re.fullmatch(WORD, other) is not None and not _is_name_part(other)
            and other not in known_first and other not in EXTRA_FIRST)


def _is_name_part(word: str) -> bool:
    if word in first_names() or word in surnames():
        return True
    return all(p in first_names() or p in surnames() for p in word.split("-"))


def _looks_like_surname(word: str) -> bool:
    if word in NEVER_NAMES or word in INSTITUTION_WORDS:
        return False
    return all(p in surnames() or p.lower().endswith(SURNAME_ENDINGS) for p in word.split("-"))


class _Regex(EntityRecognizer):
    """A recognizer of one kind over the raw text."""

    KIND = ""

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.KIND], supported_language="da", name=type(self).__name__
        )

    def load(self) -> None:  # nothing to load: the patterns are compiled at import
        pass

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        return [RecognizerResult(self.KIND, s, e, score) for s, e, score in self.spans(text)]


class CprRecognizer(_Regex):
    """ddmmyy-xxxx with or without the dash, a real day and month; no modulus 11, which
    numbers issued since 2007 do not satisfy."""

    KIND = "cpr"
    PATTERN = re.compile(r"(?<![\w.,/-])(\d{2})(\d{2})(\d{2})[- ]?(\d{4})(?![\w/-]|[.,]\d)")

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        for m in self.PATTERN.finditer(text):
            day, month = int(m[1]), int(m[2])
            if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]:
                # A space-separated pair is only a CPR number with a cue ("cpr 010190 1234").
                if " " in m[0] and not re.search(r"cpr", text[max(0, m.start() - 20):m.start()],
                                                 re.I):
                    continue
                yield m.start(), m.end(), 0.9


class PhoneRecognizer(_Regex):
    """8 digits, in pairs or fours, with an optional +45 / 0045 / (+45)."""

    KIND = "telefon"
    PATTERN = re.compile(
        # With the country code any digit may lead; without, not a 0 (an account, a serial).
        r"(?<![\w+.,/-])(?:(?:\+|00)45[ -]?(?=\d)|\(\+45\) ?(?=\d)|(?=[1-9]))"
        r"(?:\d{8}|\d{2}(?:[ -]\d{2}){3}|\d{4}[ -]\d{4})"
        r"(?![\w/-]|[.,]\d| \d)"
    )
    # Eight digits after these are a company, an EAN or an account, not a telephone.
    NOT_AFTER = re.compile(
        r"(?:cvr|p-nr|p-nummer|ean|se-nr|konto|kontonr|kontonummer|reg|faktura|ordre)"
        r"[\w.-]*\s*:?\s*$", re.I)

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        for m in self.PATTERN.finditer(text):
            if self.NOT_AFTER.search(text[max(0, m.start() - 25):m.start()]):
                continue
            # "2023-2024" is a period, "2023-1234" a case number.
            if re.fullmatch(r"(?:19|20)\d{2}(?:[- ](?:19|20)\d{2}|-\d{4})", m[0]):
                continue
            yield m.start(), m.end(), 0.7


class DanishEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern; the domain is checked against tldextract's bundled suffix
    list, never one fetched from the network."""

    def __init__(self) -> None:
        super().__init__(supported_language="da", supported_entity="email")

    def validate_result(self, pattern_text: str) -> bool:
        return _tld_extract()(pattern_text).fqdn != ""


@cache
def _tld_extract() -> Any:
    import tldextract

    # No URLs and no cache directory: the snapshot shipped in the wheel, nothing written.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


STREET_SUFFIX = (
    r"(?:vej|vejen|gade|gaden|allé|alle|plads|pladsen|torv|torvet|boulevard|stræde|strædet|"
    r"vænge|vænget|parken|bakken|bakke|stien|sti|haven|toften|engen|vangen|kæret|marken|"
    r"holmen|brink|løkken|ager|agre|højen|skoven|hegnet|kvarter|kaj|kajen|bro|broen|park|"
    r"boulevarden|gyde|gyden|passagen|tofte|krogen)"
)
STREET = re.compile(
    # Words before the street's last word: "H.C. Andersens", "Gl.", "Peter Bangs". A single
    # initial is left out: it is more often the end of "Aarhus C." than a street's start.
    rf"(?<![\w])(?:(?:[{UPPER}]\.(?:[{UPPER}]\.)+|[{UPPER}][{LOWER}]+|(?:Gl|Skt|Sdr|Ndr|Nr)\.)"
    rf"\s+){{0,3}}"
    rf"(?:[{UPPER}][{LOWER}]*{STREET_SUFFIX}"
    r"|Vej|Gade|Allé|Alle|Plads|Torv|Boulevard|Stræde|Vænge|Park|Kaj|Bro|Bakke|Sti)"
    rf"\s+\d{{1,4}}(?:\s?[A-Za-z](?![\w]))?(?:-\d{{1,4}}[A-Za-z]?)?"
    rf"(?:,?\s+(?:\d{{1,2}}\.|st\.|kl\.|stuen)(?:\s*(?:th|tv|mf)\b\.?|\s*sal\b|\s*\d{{1,3}}(?!\d))?)?"
)
POSTCODE = re.compile(
    rf"(?<![\w.,-])(?:DK-)?[1-9]\d{{3}}\s+[{UPPER}][{LOWER}]+(?:[ -][{UPPER}][{LOWER}]+)?"
    rf"(?:\s+(?:C|V|N|Ø|S|K|SV|NV|SØ|NØ)\b)?"
)


class AddressRecognizer(_Regex):
    """A street name and number (floor and side too), and a postcode with its town."""

    KIND = "adresse"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        for m in STREET.finditer(text):
            yield m.start(), m.end(), 0.8
        for m in POSTCODE.finditer(text):
            town = m[0].split()[1]
            after = text[m.end():m.end() + 12]
            if town in ("Kommune", "Region") or re.match(r"\s*(?:Kommune|Region)", after):
                continue
            # A year before a capitalised word ("i 2024 Aarhus …") is not a postcode unless
            # it follows an address.
            code = int(re.search(r"\d{4}", m[0])[0])
            if 1900 <= code <= 2099 and not re.search(r"\d[a-zA-Z.]*,?\s*$",
                                                       text[max(0, m.start() - 15):m.start()]):
                continue
            yield m.start(), m.end(), 0.8


class CaseNumberRecognizer(_Regex):
    """ESDH case numbers: SBSYS/KMD's KLE-based "27.12.04-G01-3-21", year-serial
    "2023-004512", "S2023-1234", Acadre's "23/12345", and anything after "sagsnr."."""

    KIND = "sagsnummer"
    PATTERNS = [
        re.compile(r"(?<![\w.])\d{2}\.\d{2}(?:\.\d{2})?-[A-ZÆØÅ]\d{2}-\d{1,6}-\d{2}(?![\w-])"),
        re.compile(r"(?<![\w/.-])(?:19|20)\d{2}-\d{5,7}(?![\w-])"),
        re.compile(r"(?<![\w/.-])[A-Z]{1,4}-?(?:19|20)\d{2}[-/]\d{3,7}(?![\w-])"),
        re.compile(r"(?<![\w/.-])\d{2}/\d{5,6}(?![\w/-])"),
        re.compile(r"(?<![\w/.-])(?:19|20)\d{2}/\d{4,7}(?![\w/-])"),
    ]
    CUED = re.compile(
        r"(?:sagsnr|sagsnummer|sagsnummeret|sag nr|j\.\s?nr|journalnr|journalnummer|"
        r"journalnummeret|dokumentnr)\.?\s*:?\s*([A-Z]{0,4}[\d][\w./-]*\d)", re.I)
    # After "sag" only a number with a separator: "sag 25 minutter" is not a case number.
    AFTER_SAG = re.compile(
        r"(?<![^\W\d_])(?:sag|sagen|sagsid)\s+([A-Z]{0,4}\d+(?:[./-]\d+)+)(?![\w/-])", re.I)

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        for pattern in self.PATTERNS:
            for m in pattern.finditer(text):
                yield m.start(), m.end(), 0.8
        for m in self.CUED.finditer(text):
            yield m.start(1), m.end(1), 0.95
        for m in self.AFTER_SAG.finditer(text):
            if not re.fullmatch(r"\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?", m[1]):  # a date
                yield m.start(1), m.end(1), 0.9


class AccountRecognizer(_Regex):
    """Bank accounts: reg. nr. (4 digits) and account (up to 10), dashed or cued, and IBAN."""

    KIND = "kontonummer"
    DASHED = re.compile(r"(?<![\w/.-])(\d{4})-(\d{6,10})(?![\w-])")
    CUED = re.compile(
        r"(?:reg\.?\s*-?\s*nr\.?|registreringsnummer|regnr\.?)\s*:?\s*(\d{4})"
        r"(?:[\s,/-]*(?:og\s+)?(?:konto(?:nummer|nr)?\.?\s*:?\s*)?(\d{4,10}))?", re.I)
    ACCOUNT = re.compile(
        r"(?:konto(?:nummer|nr)?\.?|kontonummeret)\s*:?\s*((?:\d{4}[ -])?\d{6,10})(?!\d)", re.I)
    SPACED = re.compile(r"(?<![\w/.-])\d{4} \d{10}(?![\w-])")  # reg. nr. and a full account
    IBAN = re.compile(r"\bDK\d{2}(?:\s?\d{4}){3}\s?\d{2}\b")

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        for m in self.DASHED.finditer(text):
            year_case = re.fullmatch(r"(?:19|20)\d{2}", m[1]) and len(m[2]) <= 7
            if not year_case:
                yield m.start(), m.end(), 0.75
        for m in self.CUED.finditer(text):
            yield m.start(1), m.end(2) if m[2] else m.end(1), 0.95
        for m in self.ACCOUNT.finditer(text):
            yield m.start(1), m.end(1), 0.95
        for m in self.SPACED.finditer(text):
            yield m.start(), m.end(), 0.75
        for m in self.IBAN.finditer(text):
            yield m.start(), m.end(), 0.95


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m[0]) for m in TOKEN.finditer(text)]


def _cued(tokens: list[tuple[int, int, str]], i: int) -> bool:
    """A cue word among the three tokens before token i ("kontakt: Kim", "v/ Per")."""
    for _s, _e, word in reversed(tokens[max(0, i - 3):i]):
        if word.lower() in CUES:
            return True
        if word[-1] in ".!?":  # the cue must be in the same sentence
            return False
    return False


def _institution_after(tokens: list[tuple[int, int, str]], j: int) -> bool:
    """An institution's word right after the name, or after one more capitalised word."""
    following = [word for _s, _e, word in tokens[j:j + 2]]
    if following[:1] and following[0] in INSTITUTION_WORDS:
        return True
    return len(following) == 2 and following[0][:1].isupper() and following[1] in INSTITUTION_WORDS


def person_names(text: str, known: Iterable[str] = ()) -> Iterator[tuple[int, int, float]]:
    """Capitalised runs of names: a first name and a surname, a first name mid-sentence (Danish
    capitalises only proper nouns), a name after a cue; a known name anywhere."""
    known_first = frozenset(n.split()[0] for n in known if n.split())
    known_parts = frozenset(p for n in known for p in n.split())
    tokens = _tokens(text)
    i = 0
    while i < len(tokens):
        start, end, word = tokens[i]
        if not word[:1].isupper() and word.lower() not in TITLES:
            i += 1  # a name starts with a capital or after a title ("fru Jensen"): quick out
            continue
        base = _genitive_base(word, known_first)
        is_first = base in known_first or _is_first(base)
        is_title = word.lower() in TITLES and i + 1 < len(tokens)
        # A first name outside the lists before a common "-sen" surname: "Jannick Hansen".
        is_first = is_first or (
            i + 1 < len(tokens) and re.fullmatch(WORD, word) is not None
            and word not in NEVER_NAMES and word.lower() not in CUES | TITLES
            and tokens[i + 1][2] in surnames() and tokens[i + 1][2].endswith("sen")
            and text[end:tokens[i + 1][0]] == " "
        )
        # Initials before a surname: "K. Hansen", "K.H. Jensen" (a listed surname, or a
        # surname-like one after a cue).
        if re.fullmatch(f"[{UPPER}]", word):
            k = i
            while (k + 1 < len(tokens) and re.fullmatch(f"[{UPPER}]", tokens[k][2])
                   and tokens[k + 1][2] == "."):
                k += 2
            if (k > i and k < len(tokens) and re.fullmatch(WORD, tokens[k][2])
                    and text[tokens[k - 1][1]:tokens[k][0]] == " "
                    and (tokens[k][2] in surnames()
                         or (_looks_like_surname(tokens[k][2]) and _cued(tokens, i)))
                    and not _institution_after(tokens, k + 1)):
                yield start, tokens[k][1], 0.8
                i = k + 1
                continue
        # A surname alone is a person after a cue, or before a person's verb: any of them
        # after a "-sen" name, which is no ordinary word ("Jensen har"), one that only a
        # person does after the others ("Holm skrev").
        following = tokens[i + 1][2] if i + 1 < len(tokens) else ""
        surname_alone = word in surnames() and (_cued(tokens, i) or (
            (following in SPEECH_VERBS
             or (following in PERSON_VERBS and word.endswith(("sen", "gaard", "gård", "rup"))))
            and _person_context(tokens, i + 1, known_first)))
        if not (is_first or is_title or surname_alone):
            i += 1
            continue
        if is_title and not is_first:
            # "fru Jensen", "borger Hansen": the surname after the title.
            j = i + 1
            if j < len(tokens) and tokens[j][2] == ".":
                j += 1
            if j < len(tokens) and re.fullmatch(WORD, tokens[j][2]) and (
                _looks_like_surname(tokens[j][2]) or tokens[j][2] in known_parts
            ):
                k = j + 1
                while k < len(tokens) and _looks_like_surname(tokens[k][2]):
                    k += 1
                if not _institution_after(tokens, k):
                    yield tokens[j][0], tokens[k - 1][1], 0.85
                i = k
                continue
            i += 1
            continue
        prev = tokens[i - 1][2] if i else ""
        saint = prev in SAINTS or (prev == "." and i > 1 and tokens[i - 2][2] in SAINTS)
        if word in NEVER_NAMES or prev in SYSTEM_PREFIXES or saint:
            i += 1
            continue
        # Extend over middle names and surnames: "Anne Marie Jensen", "Lars Bo Kjærsgaard".
        j = i + 1
        while True:
            # A middle initial: "Anne K. Jensen".
            if (j + 2 < len(tokens) and re.fullmatch(f"[{UPPER}]", tokens[j][2])
                    and tokens[j + 1][2] == "." and _looks_like_surname(tokens[j + 2][2])):
                j += 2
            if not (
                j < len(tokens) and re.fullmatch(WORD, tokens[j][2])
                and (_is_name_part(tokens[j][2]) or _looks_like_surname(tokens[j][2])
                     or tokens[j][2] in known_parts or _surname_genitive(tokens[j][2])
                     # Right after a first name any capitalised word is most likely the
                     # surname ("Ahmed Hassan"), unless it is a system or an institution.
                     or (j == i + 1 and tokens[j][2] not in NEVER_NAMES
                         and tokens[j][2] not in INSTITUTION_WORDS
                         and not (base in AMBIGUOUS and _is_sentence_start(text, start))))
                and text[tokens[j - 1][1]:tokens[j][0]] == " "  # one line, one space
            ):
                break
            j += 1
        if _institution_after(tokens, j):
            i = j
            continue
        run_end = tokens[j - 1][1]
        if base is not word and j == i + 1:
            run_end = start + len(base)  # "Mettes team": the name without the genitive s
        elif j > i + 1 and _surname_genitive(tokens[j - 1][2]):
            run_end -= 1  # "Anne-Marie Holms leder"
        full = j > i + 1
        if not full and base in AMBIGUOUS and (_count_after(tokens, j)
                                               or _unit_after(tokens, j, known_first)):
            # "Per måned", "Per 1. januar": the preposition; "Bo og Støtte": a unit's name.
            i = j
            continue
        sentence_start = _is_sentence_start(text, start)
        # At the start of a sentence a word that is also a name is the word, unless what
        # follows is what follows a person ("Bo ringede", "Per og Louise").
        person = _person_context(tokens, j, known_first, noun=base in NOUN_NAMES)
        if full or not sentence_start or _cued(tokens, i) or base in known_first:
            # A known user's first name counts at the start too ("Bo i teamet sagde"),
            # unless it is a word that often opens a sentence ("Per måned", "Hans sag").
            ambiguous = SENTENCE_WORDS if base in known_first else AMBIGUOUS
            ambiguous_start = sentence_start and not full and base in ambiguous
            if not ambiguous_start or _cued(tokens, i) or person:
                yield start, run_end, 0.9 if full or base in known_first else 0.7
        elif base not in AMBIGUOUS or person:
            yield start, run_end, 0.6
        i = j


class PersonNameRecognizer(_Regex):
    KIND = "navn"

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        return person_names(text)


class KnownNameRecognizer(_Regex):
    """The publishing municipality's own users and contacts: their full names anywhere (any
    case, any spacing), their first names wherever the name rules allow."""

    KIND = "navn"

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(n.strip() for n in names if n and n.strip())
        super().__init__()
        full = sorted({n for n in self.names if len(n.split()) > 1}, key=len, reverse=True)
        self.pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, n.split())) for n in full)
                + r")(?!\w)", re.I)
            if full else None
        )

    def spans(self, text: str) -> Iterator[tuple[int, int, float]]:
        if self.pattern is not None:
            for m in self.pattern.finditer(text):
                yield m.start(), m.end(), 1.0
        for start, end, _score in person_names(text, self.names):
            yield start, end, 0.95


def build() -> list[EntityRecognizer]:
    return [
        CprRecognizer(), PhoneRecognizer(), DanishEmailRecognizer(), AddressRecognizer(),
        CaseNumberRecognizer(), AccountRecognizer(), PersonNameRecognizer(),
    ]


def resolve(text: str, spans: Iterable[Span]) -> list[tuple[int, int, str]]:
    """Non-overlapping findings: the longest span wins, then the surest; a street address and
    the postcode right after it are one address."""
    chosen: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for start, end, kind, _score in sorted(spans, key=lambda s: (s[0] - s[1], -s[3], s[0])):
        if start >= end or any(start < e and s < end for s, e in taken):
            continue
        chosen.append((start, end, kind))
        taken.append((start, end))
    chosen.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in chosen:
        if merged and kind == "adresse" == merged[-1][2] and re.fullmatch(
            r",?\s{1,2}", text[merged[-1][1]:start]
        ):
            merged[-1] = (merged[-1][0], end, kind)
        else:
            merged.append((start, end, kind))
    return merged
