"""Where the legacy app's real sample files are (read at test time, never copied into the project)."""

from pathlib import Path

# /work/main/tests or /work/wt/issue-N/tests: the first ancestor holding shared/legacy/samples.
_HERE = Path(__file__).resolve()
SAMPLES = next(
    (parent / "shared" / "legacy" / "samples" for parent in _HERE.parents if (parent / "shared" / "legacy").is_dir()),
    _HERE.parents[2] / "shared" / "legacy" / "samples",
)
GENERATED = SAMPLES / "generated"
