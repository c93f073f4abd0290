"""Finding files on the storage: the zip's Resolver answers exactly as resolve() does."""

import os

import pytest

from portal.downloads.storage import FileUnavailable, Resolver, resolve
from portal.downloads.zips import SMALL, chunks

PATHS = [
    "scan.nxs",
    "sub/notes.txt",
    "./scan.nxs",
    "sub//notes.txt",
    "dir",
    "missing.bin",
    "sub/missing/deeper",
    "scan.nxs/below-a-file",
    "inside",  # a symlink to a file of the same folder
    "out",  # a symlink to a file outside the roots
    "outdir/secret",  # through a symlinked folder outside the roots
    "/etc/hostname",
    "a/../scan.nxs",
    ".",
    "",
    "x\x00y",
]


@pytest.fixture
def layout(tmp_path):
    root = tmp_path / "root"
    run = root / "p1" / "run1"
    (run / "sub").mkdir(parents=True)
    (run / "dir").mkdir()
    (run / "scan.nxs").write_bytes(b"scan")
    (run / "sub" / "notes.txt").write_text("notes")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    os.symlink(run / "scan.nxs", run / "inside")
    os.symlink(outside / "secret", run / "out")
    os.symlink(outside, run / "outdir")
    os.symlink(run, root / "p1" / "linked-run")
    folders = [run, root / "p1" / "linked-run", outside, "relative/folder"]
    return [root.resolve()], [str(folder) for folder in folders]


def outcome(find):
    try:
        return find()
    except FileUnavailable as exc:
        return exc.status, exc.message


@pytest.mark.parametrize("path", PATHS)
def test_resolver_answers_as_resolve_does(layout, path):
    roots, folders = layout
    for folder in folders:
        expected = outcome(lambda folder=folder: resolve(folder, path, roots))

        assert outcome(lambda folder=folder: Resolver(folder, roots)(path)) == expected


def test_resolver_answers_the_same_for_every_file_of_a_folder(layout):
    roots, folders = layout
    resolver = Resolver(folders[0], roots)

    answers = [outcome(lambda path=path: resolver(path)) for path in PATHS]

    expected = [outcome(lambda path=path: resolve(folders[0], path, roots)) for path in PATHS]
    assert answers == expected
    assert answers[0] == roots[0] / "p1" / "run1" / "scan.nxs"


def test_zip_pieces_are_joined_up_to_a_write_and_large_ones_pass_as_they_are():
    large = b"x" * SMALL
    pieces = [b"h1", b"d1", b"h2", large, b"dd", b"h3", b"d3", b"e"]

    out = list(chunks(iter(pieces), size=5))

    assert out == [b"h1d1h2", large, b"ddh3d3", b"e"]
    assert out[1] is large  # not copied
