"""Uploads kept between the import's steps: several files as one upload, under an opaque name.

The preview, a 重新检查 and the confirm read the same stored bytes; the browser only ever holds
the name, a random hex string that is checked before it is used, never a path.
"""

import json
import os
import re
import tempfile
import uuid

from import_export.tmp_storages import TempFolderStorage

# Several files of one upload (a platform's order file and item file) travel as one blob:
# the marker, one line of JSON with each file's name and size, then the files' bytes.
BUNDLE_MARKER = b"OMS-UPLOAD-BUNDLE\n"
OPAQUE_NAME = re.compile(r"[0-9a-f]{32}")
EXPIRED = "导入已失效（可能已经确认过）。请重新上传文件。"


def pack_files(files):
    """One blob of `files` ([(name, bytes), ...]); a single file stays as it is."""
    if len(files) == 1:
        return files[0][1]
    index = json.dumps([[name, len(data)] for name, data in files], ensure_ascii=False).encode()
    return BUNDLE_MARKER + index + b"\n" + b"".join(data for _name, data in files)


def unpack_files(blob, name=""):
    """[(name, bytes), ...] of a blob made by pack_files (one file: [(name, blob)])."""
    if not blob.startswith(BUNDLE_MARKER):
        return [(name, blob)]
    index, _, rest = blob[len(BUNDLE_MARKER) :].partition(b"\n")
    files, start = [], 0
    for file_name, size in json.loads(index):
        files.append((file_name, rest[start : start + size]))
        start += size
    return files


class UploadStorage(TempFolderStorage):
    """django-import-export's temporary folder storage, in a folder of its own, under opaque names."""

    folder = os.path.join(tempfile.gettempdir(), "oms-imports")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.name is not None and not OPAQUE_NAME.fullmatch(self.name):
            raise FileNotFoundError(EXPIRED)  # a tampered form: never a path from the browser

    def get_full_path(self):
        return os.path.join(self.folder, self.name)

    def _open(self, mode="r"):
        if not self.name:
            os.makedirs(self.folder, exist_ok=True)
            self.name = uuid.uuid4().hex
        if mode == "w" and self.encoding is None:
            mode = "wb"  # the binary formats' bytes, as the library's own NamedTemporaryFile takes them
        return open(self.get_full_path(), mode, encoding=self.encoding)
