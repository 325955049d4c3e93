"""Allocation-heavy Python workload for the LD_PRELOAD smoke test.

Run with PYTHONMALLOC=malloc so every object goes through malloc (hz3), not
pymalloc's arenas. Four producer threads build dicts, lists, strings, bytes
and sets; objects are handed through a queue to consumer threads that check
and drop them, so many objects are freed by a thread other than the one that
allocated them (remote frees). Every result is verified; exit status 0 only
when all checks pass. Prints a deterministic digest so the caller can compare
it with a run without hz3.
"""
import hashlib
import queue
import sys
import threading

THREADS = 4
ITEMS = 6000


def make(tid, i):
    key = f"t{tid}-i{i}"
    return {
        "key": key,
        "text": (key + ":") * (1 + i % 40),
        "nums": list(range(i % 300)),
        "blob": bytes((i + k) & 0xFF for k in range(i % 700)),
        "set": {f"{key}/{k}" for k in range(i % 17)},
        "nested": [{"k": k, "v": str(k) * (k % 9)} for k in range(i % 12)],
    }


def check(obj, tid, i):
    key = f"t{tid}-i{i}"
    assert obj["key"] == key, (obj["key"], key)
    assert obj["text"] == (key + ":") * (1 + i % 40)
    assert obj["nums"] == list(range(i % 300))
    assert len(obj["blob"]) == i % 700 and all(b == ((i + k) & 0xFF) for k, b in enumerate(obj["blob"]))
    assert obj["set"] == {f"{key}/{k}" for k in range(i % 17)}
    assert [d["v"] for d in obj["nested"]] == [str(k) * (k % 9) for k in range(i % 12)]


def main():
    q = queue.Queue(maxsize=512)
    digests = [None] * THREADS
    errors = []
    checked = [0] * THREADS

    def producer(tid):
        try:
            h = hashlib.sha256()
            local = {}
            for i in range(ITEMS):
                obj = make(tid, i)
                h.update(obj["text"].encode())
                local[i % 97] = obj  # keep some alive, replace (free) others
                q.put((tid, i, obj))
            for i, obj in local.items():
                assert obj["key"].startswith(f"t{tid}-")
            digests[tid] = h.hexdigest()
        except Exception as e:  # noqa: BLE001
            errors.append(f"producer {tid}: {e!r}")

    def consumer(cid):
        try:
            while True:
                item = q.get()
                if item is None:
                    return
                tid, i, obj = item
                check(obj, tid, i)
                checked[cid] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(f"consumer {cid}: {e!r}")

    consumers = [threading.Thread(target=consumer, args=(c,)) for c in range(THREADS)]
    producers = [threading.Thread(target=producer, args=(t,)) for t in range(THREADS)]
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)
    for t in consumers:
        t.join()

    # Some single-threaded churn: big strings, dict resizes, sorting.
    words = [f"{(i * 7919) % 100003:06d}" * (1 + i % 5) for i in range(50000)]
    words.sort()
    big = {w: len(w) for w in words}
    assert len(big) == len(set(words))
    joined = "".join(words[:1000])
    assert len(joined) == sum(len(w) for w in words[:1000])

    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    total = sum(checked)
    if total != THREADS * ITEMS:
        print(f"checked {total} objects, expected {THREADS * ITEMS}", file=sys.stderr)
        return 1
    print("objects", total)
    print("digest", hashlib.sha256("".join(digests).encode()).hexdigest())
    print("words", len(big), hashlib.sha256(joined.encode()).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())
