"""Staged roots for `dockgate setup --root`: a directory that looks like the / of a Docker host, built from
the fixture files in fixtures/setup/."""
import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "setup"


def stage(root, files):
    """Creates `root` with {host path: fixture file name, or text if it contains a newline}."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for host_path, source in files.items():
        target = root / host_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if "\n" in source or source == "":
            target.write_text(source)
        else:
            shutil.copyfile(FIXTURES / source, target)
    return root


def snapshot(root):
    """Every file under `root` with its bytes and mode, to prove a run changed nothing."""
    root = Path(root)
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None, p.lstat().st_mode)
            for p in sorted(root.rglob("*"))}
