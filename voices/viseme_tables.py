"""espeak-ng phoneme mnemonics -> visemes (see voices.visemes for the viseme set).

Keys are mnemonics without their stress mark (espeak writes "'aI" for a stressed "aI"); they
cover the phoneme tables of espeak-ng 1.52's `en`, `en-us` and `cmn` voices (read from its
phontab) including those inherited from its `base` tables. A diphthong maps to two visemes,
shown one after the other.
"""
from __future__ import annotations

# Shared consonants (espeak's base tables, used by English and Mandarin alike).
_CONSONANTS: dict[str, tuple[str, ...]] = {}
for _label, _symbols in {
    "PP": "p b m m- B ph",
    "FF": "f v v# w#",
    "TH": "T D",
    "DD": "t d th t# t2 d# t[ d[ * ** c J q",
    "kk": "k g N N- x X kh Q Q^ Q\" g# C",
    "CH": "tS dZ S Z tS; dZ; S; Z; J^ s. z. ts. ts.h tS;h",
    "SS": "s z s; z; z# z/2 ts tsh",
    "nn": "n n- n. n^ l l- l. l^ l/ l/2 l/3 L L/ l# ;",
    "RR": "r r- r. r/ r\" R R2 R3",
    "ou": "w",
    "ih": "j",
}.items():
    for _symbol in _symbols.split():
        _CONSONANTS[_symbol] = (_label,)

# English vowels (espeak-ng en / en-us mnemonics; examples in American or British English).
EN_TABLE: dict[str, tuple[str, ...]] = dict(_CONSONANTS)
EN_TABLE.update({
    "a": ("aa",), "a2": ("aa",), "aa": ("aa",), "a#": ("E",), "a#2": ("E",),  # trap, bath, about
    "A:": ("aa",), "A@": ("aa", "RR"), "A#": ("aa",), "A~": ("aa",),         # father, car
    "V": ("aa",), "VR": ("aa", "RR"),                                       # cup, hurry
    "0": ("oh",), "0#": ("oh",), "02": ("oh",),                             # lot (GB)
    "O": ("oh",), "O:": ("oh",), "O2": ("oh",), "O@": ("oh", "RR"), "O~": ("oh",),  # thought, core
    "o": ("oh",), "o:": ("oh",), "o@": ("oh", "RR"),                         # more
    "oU": ("oh", "ou"), "oU#": ("oh", "ou"),                                # go
    "OI": ("oh", "ih"),                                                     # boy
    "aI": ("aa", "ih"), "aI@": ("aa", "E"), "aI3": ("aa", "RR"),            # price, fire
    "aU": ("aa", "ou"), "aU@": ("aa", "E"),                                 # mouth, hour
    "e": ("E",), "e#": ("E",), "e:": ("E",), "E": ("E",), "E#": ("E",), "E2": ("E",),  # bed
    "e@": ("E", "RR"), "eI": ("E", "ih"),                                   # square, face
    "@": ("E",), "@#": ("E",), "@-": ("E",), "@2": ("E",), "@5": ("E",),    # schwa
    "@L": ("E", "nn"),                                                      # bottle
    "3": ("RR",), "3:": ("RR",),                                            # better, bird
    "I": ("ih",), "I#": ("ih",), "I2": ("ih",), "I2#": ("ih",), "IR": ("ih", "RR"),  # kit
    "i": ("ih",), "i:": ("ih",), "i@": ("ih", "E"), "i@3": ("ih", "RR"),    # fleece, near
    "U": ("ou",), "u": ("ou",), "u:": ("ou",), "U@": ("ou", "E"),           # foot, goose, cure
})

# Mandarin (espeak-ng cmn) finals; initials are the shared consonants above
# (b p m f d t n l g k h j q x zh ch sh r z c s = p ph m f t th n l k kh X tS; tS;h S; ts. ts.h s. z. ts tsh s).
CMN_TABLE: dict[str, tuple[str, ...]] = dict(_CONSONANTS)
CMN_TABLE.update({
    "a": ("aa",), "A": ("aa",), "ai": ("aa", "ih"), "Au": ("aa", "ou"),     # ba, ma, bai, bao
    "ia": ("ih", "aa"), "iA": ("ih", "aa"), "iAu": ("ih", "aa", "ou"),       # jia, xiao
    "ua": ("ou", "aa"), "uA": ("ou", "aa"), "uai": ("ou", "aa", "ih"),       # gua, kuai
    "e": ("E",), "E": ("E",), "@": ("E",), "@-": ("E",), "ei": ("E", "ih"),  # de, ben, bei
    "iE": ("ih", "E"), "uei": ("ou", "E", "ih"), "u@": ("ou", "E"),          # jie, gui, wen
    "@r": ("RR",), "r-": ("RR",),                                           # er
    "i": ("ih",), "i.": ("RR",), "i[": ("SS",),                              # bi, zhi, zi
    "o": ("oh",), "o-": ("oh",), "uo": ("ou", "oh"), "io": ("ih", "oh"),     # bo, guo
    "ou": ("oh", "ou"), "iou": ("ih", "oh", "ou"), "ong": ("ou", "kk"),      # gou, jiu, gong
    "u": ("ou",), "y": ("ou",), "yu": ("ou",), "yi": ("ou", "ih"),           # gu, lü
    "y&": ("ou", "E"), "yE": ("ou", "E"), "y@": ("ou", "E"),                 # xue, yun
    "m-": ("PP",), "n-": ("nn",), "N-": ("kk",), "l-": ("nn",),              # syllabic m n ng
})

# Sounds with no mouth shape of their own: they borrow the next sound's shape.
TRANSPARENT = frozenset({"h", "?", "#X1", "-", ":"})

_VOWEL_GUESSES = (("aAV", "aa"), ("eE@", "E"), ("iIj", "ih"), ("oO0", "oh"), ("uUwy", "ou"), ("3r", "RR"))
_CONSONANT_GUESSES = (("pbm", "PP"), ("fv", "FF"), ("T", "TH"), ("kgNxX", "kk"), ("SZ", "CH"),
                      ("sz", "SS"), ("nlL", "nn"), ("R", "RR"), ("td", "DD"))


def fallback_visemes(base: str) -> tuple[str, ...]:
    """A sensible viseme for a mnemonic missing from the tables, guessed from its first letter
    (espeak names phonemes after the letters they sound like); a neutral half-open E if all
    else fails."""
    head = base[:1]
    for letters, label in _VOWEL_GUESSES + _CONSONANT_GUESSES:
        if head and head in letters:
            return (label,)
    return ("E",)
