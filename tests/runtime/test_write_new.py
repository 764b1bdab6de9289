"""write_new: a file under a name nobody has, whole, never replacing another (Ray workers' files land at the
head with it)."""

from __future__ import annotations

import threading

from nodegraph.runtime.files import write_new


def test_a_taken_name_moves_to_the_next_counter_and_nothing_is_replaced(tmp_path):
    first = write_new(tmp_path / "ray_00001_.png", b"one")
    second = write_new(tmp_path / "ray_00001_.png", b"two")
    plain = [write_new(tmp_path / "notes.txt", bytes([i])) for i in range(2)]
    assert (first.name, second.name) == ("ray_00001_.png", "ray_00002_.png")
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    assert [p.name for p in plain] == ["notes.txt", "notes_1.txt"]
    assert not list(tmp_path.glob(".*partial"))


def test_a_link_planted_under_the_name_is_left_alone(tmp_path):
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"keep")
    folder = tmp_path / "output"
    folder.mkdir()
    (folder / "x_00001_.png").symlink_to(outside)
    written = write_new(folder / "x_00001_.png", b"new")
    assert written.name == "x_00002_.png" and outside.read_bytes() == b"keep"


def test_writers_at_the_same_moment_each_get_a_name_of_their_own(tmp_path):
    results: list = []
    threads = [threading.Thread(target=lambda i=i: results.append(write_new(tmp_path / "p_00001_.png", bytes([i]))))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({p.name for p in results}) == 8
    assert sorted(p.read_bytes()[0] for p in results) == list(range(8))
