"""Common English UI words, for the tests that check a Chinese user never reads them."""

import re

# Words Django, its admin and its libraries show when a string is not translated.
ENGLISH = re.compile(
    r"\b(Add|Change|Delete|Save|Search|Filter|Home|Log ?out|Log ?in|View|History|Available|Chosen|Choose|"
    r"Remove|Select|Action|Go|Yes|No|None|Submit|Cancel|Password|Username|Error|Forbidden|Not Found|"
    r"Show|Hide|Today|Now|Calendar|Clock|Export|Import|Format|Resource|Confirm|Back|Next|Previous|"
    r"Page|Results?|Total|Clear|Reset|Required|Optional|Invalid|Enter|Please|Welcome|Thanks|Site|"
    r"Version|Midnight|Noon|Yesterday|Tomorrow|Browse|Upload|Download|Print|Close|Open|Edit|Name)\b"
)
# Names that stay as they are: products, brands, formats, codes.
ALLOWED = {"SKU", "CSV", "Excel", "XLSX", "xlsx", "csv", "ID", "SF", "EMS", "UPU", "S10", "DHL", "JD", "PDF", "A4"}


def english_words(text):
    """The English UI words in `text`, less the allowed names, sorted."""
    return sorted({word for word in ENGLISH.findall(text) if word not in ALLOWED})
