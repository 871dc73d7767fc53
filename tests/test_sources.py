"""Reading the checkout: never through a link or out of the repo; binary sniffing reads a
bounded prefix, never the whole file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gates.checks.size_io import head_bytes
from gates.sources import looks_binary, read_text, safe_path, split_lines


def _file(tmp_path: Path, data: bytes, size: int | None = None) -> Path:
    path = tmp_path / "f"
    path.write_bytes(data)
    if size is not None:
        with path.open("r+b") as handle:
            handle.truncate(size)  # sparse: the rest reads as NUL bytes
    return path


def test_nul_or_invalid_utf8_in_the_window_is_binary(tmp_path: Path) -> None:
    assert looks_binary(_file(tmp_path, b"text\x00more"))
    assert looks_binary(_file(tmp_path, b"caf\xe9 au lait\n"))
    assert not looks_binary(_file(tmp_path, "café ✓\n".encode()))
    assert not looks_binary(_file(tmp_path, b""))


def test_only_the_window_is_read_on_a_huge_file(tmp_path: Path, monkeypatch) -> None:
    # 256 MB, NUL after the first 8 KiB: text by a bounded sniff, binary only if read whole.
    path = _file(tmp_path, b"a" * 8192, size=256 * 1024 * 1024)
    reads: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        handle = real_open(self, *args, **kwargs)  # type: ignore[arg-type]
        real_read = handle.read

        def read(n: int = -1) -> bytes:
            data = real_read(n)
            reads.append(len(data))
            return data

        handle.read = read  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    assert not looks_binary(path)
    assert sum(reads) == 8192


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_a_character_cut_by_the_window_is_not_binary(tmp_path: Path, cut: int) -> None:
    char = "\U0001f600".encode()  # 4 bytes
    data = b"a" * (8192 - cut) + char
    assert not looks_binary(_file(tmp_path, data))
    assert looks_binary(_file(tmp_path, data[: 8192 - cut] + char[:cut]))  # truly truncated


def test_lines_are_read_again_when_the_file_changes(tmp_path: Path) -> None:
    import os

    from gates.sources import read_lines

    target = tmp_path / "a.py"
    target.write_text("one\r\ntwo\n")
    first = read_lines(tmp_path, "a.py")
    assert first == ("one", "two") and read_lines(tmp_path, "a.py") is first  # split once
    target.write_text("three\n")
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later version
    assert read_lines(tmp_path, "a.py") == ("three",)
    assert read_lines(tmp_path, "../outside.py") == () and read_lines(tmp_path, "gone.py") == ()


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", ()),
        ("a\nb\n", ("a", "b")),
        ("a\nb", ("a", "b")),
        ("a\r\nb\r\n", ("a", "b")),  # CRLF: the CR is not part of the line
        ("a\r\nb\nc\r", ("a", "b", "c")),  # mixed endings, a last line without LF
        ("a\x0cb\u2028c\n\n", ("a\x0cb\u2028c", "")),  # only LF ends a line, as tools count
        ("a\rb\n", ("a\rb",)),  # a lone CR inside a line stays
    ],
)
def test_lines_are_split_as_tools_number_them(text: str, lines: tuple[str, ...]) -> None:
    assert split_lines(text) == lines


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A repo with a nested file, links to a file and folders inside and outside it."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "secret.txt").write_text("outside\n")
    root = tmp_path / "repo"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "sub" / "mod.py").write_text("x = 1\n")
    (root / "top.txt").write_text("top\n")
    (root / "link.txt").symlink_to(root / "top.txt")
    (root / "out").symlink_to(outside)
    (root / "pkg" / "alias").symlink_to(root / "pkg" / "sub")
    (root / "pkg" / "up").symlink_to(outside / "deep")
    return root


@pytest.mark.parametrize(
    "rel",
    ["pkg/sub/mod.py", "top.txt", "./top.txt", "pkg//sub/mod.py", "pkg/alias/mod.py"],
)
def test_a_regular_file_inside_the_repo_is_read(checkout: Path, rel: str) -> None:
    assert safe_path(checkout, rel) == checkout / rel
    assert head_bytes(checkout, rel) == (checkout / rel).stat().st_size
    assert read_text(checkout, rel) is not None


@pytest.mark.parametrize(
    "rel",
    [
        "link.txt",  # the file itself is a link
        "out/deep/secret.txt",  # a folder on the way is a link out of the repo
        "pkg/up/secret.txt",  # a deeper folder is
        "../outside/deep/secret.txt",  # `..` climbs out
        "pkg/../../outside/deep/secret.txt",
        str(Path("/") / "etc" / "hostname"),  # absolute
        "pkg",  # a folder
        "pkg/sub/missing.py",
    ],
)
def test_links_escapes_folders_and_missing_files_are_never_read(checkout: Path, rel: str) -> None:
    assert safe_path(checkout, rel) is None
    assert head_bytes(checkout, rel) is None
    assert read_text(checkout, rel) is None


def test_dotdot_that_stays_inside_the_repo_is_read(checkout: Path) -> None:
    assert safe_path(checkout, "pkg/sub/../../top.txt") == checkout / "pkg/sub/../../top.txt"
