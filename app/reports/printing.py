"""Send a finished report to the default printer the way the system does it: on Windows the
file's own program prints it (os.startfile with the "print" verb: the PDF reader, WPS or Excel); on
Linux and macOS a PDF goes to CUPS with `lp` (or `lpr`)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.errors import SchoolQError


def print_file(path: str | Path) -> str:
    """Send `path` to the default printer and return a Chinese sentence saying so.

    Raises FileNotFoundError when the file is gone, SchoolQError when the system offers no way to
    print it (the user then opens it and prints from the viewer) or the print command fails.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "找不到文件", str(path))
    if sys.platform == "win32":
        os.startfile(str(path), "print")  # noqa: S606 - the system's own print verb for this file type
        return f"已把“{path.name}”交给默认打印机。"
    if path.suffix.lower() != ".pdf":
        raise SchoolQError("这台电脑上只能直接打印 PDF;Excel 文件请点“打开”,在 WPS 或 Excel 中打印。")
    for command in ("lp", "lpr"):
        exe = shutil.which(command)
        if exe:
            done = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise SchoolQError(f"打印没有成功:{(done.stderr or done.stdout).strip() or '打印命令出错'}。"
                                   "请检查打印机,或点“打开”后在阅读器中打印。")
            return f"已把“{path.name}”交给默认打印机。"
    raise SchoolQError("这台电脑上没有找到打印命令:请点“打开”,在阅读器中打印。")
