from conftest import build


def mutated(tmp_path, seed, old, new, after=None, count=1):
    """The seed with `old` replaced by `new` (the first `count` times, after `after`)."""
    text = seed.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    head, tail = text[:start], text[start:]
    assert old in tail, old
    p = tmp_path / seed.name
    p.write_text(head + tail.replace(old, new, count), encoding="utf-8")
    return build(p)
