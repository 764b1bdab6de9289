"""The SQLite job store on its own: ordering, atomic claims, restart recovery and the crash-loop guard."""

from __future__ import annotations

import threading

import pytest

from nodegraph.queue import DuplicatePromptId, JobStore

PROMPT = {"1": {"class_type": "X", "inputs": {}}}


def put(store: JobStore, prompt_id: str, **kw) -> float:
    return store.put(prompt_id, PROMPT, {"client_id": "c", "api_key_comfy_org": "secret"}, ["1"], **kw)


def test_order_front_and_explicit_numbers(tmp_path):
    store = JobStore(tmp_path / "q.db")
    assert [put(store, "a"), put(store, "b")] == [0, 1]
    put(store, "front", front=True)
    put(store, "late", number=100)
    assert [j.prompt_id for j in store.pending()] == ["front", "a", "b", "late"]
    assert store.pending()[1].extra_data == {"client_id": "c"}  # API keys are never stored
    with pytest.raises(DuplicatePromptId):
        put(store, "a")


def test_claims_are_exclusive_across_threads(tmp_path):
    store = JobStore(tmp_path / "q.db")
    for i in range(200):
        put(store, f"p{i}")
    claimed: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        while (job := store.claim()) is not None:
            with lock:
                claimed.append(job.prompt_id)
            store.finish(job.prompt_id, {"status": {"status_str": "success"}})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(f"p{i}" for i in range(200))
    assert store.remaining() == 0 and len(store.history()) == 200


def test_history_bound_and_paging(tmp_path):
    store = JobStore(tmp_path / "q.db", history_limit=5)
    for i in range(8):
        put(store, f"p{i}")
        store.finish(store.claim().prompt_id, {"n": i})
    assert list(store.history()) == ["p3", "p4", "p5", "p6", "p7"]
    assert list(store.history(max_items=2)) == ["p6", "p7"]
    assert list(store.history(max_items=2, offset=0)) == ["p3", "p4"]


def test_a_running_job_is_requeued_once_then_marked_failed(tmp_path):
    path = tmp_path / "q.db"
    store = JobStore(path)
    put(store, "crashy")
    put(store, "next")
    assert store.claim().prompt_id == "crashy"
    store.close()  # the process dies here without finishing

    store = JobStore(path)
    assert store.recovered == ["crashy"]
    assert [j.prompt_id for j in store.pending()] == ["crashy", "next"]  # back at the head, not lost
    job = store.claim()
    assert job.prompt_id == "crashy" and job.attempts == 2
    store.close()  # and dies again

    store = JobStore(path)
    assert store.recovered == [] and [j.prompt_id for j in store.failed_on_restart] == ["crashy"]
    entry = store.history_entry("crashy")
    assert entry["status"]["status_str"] == "error"
    assert "stopped 2 times" in entry["status"]["messages"][0][1]["exception_message"]
    assert [j.prompt_id for j in store.pending()] == ["next"]


def test_pause_survives_a_restart(tmp_path):
    store = JobStore(tmp_path / "q.db")
    store.set_paused(True)
    store.close()
    assert JobStore(tmp_path / "q.db").paused is True


def test_a_job_released_by_a_graceful_stop_is_not_counted_as_a_crash(tmp_path):
    store = JobStore(tmp_path / "q.db")
    put(store, "stopped")
    store.claim()
    store.release("stopped")
    store.close()
    store = JobStore(tmp_path / "q.db")
    assert store.recovered == [] and [j.attempts for j in store.pending()] == [0]
