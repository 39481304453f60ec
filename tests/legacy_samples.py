"""Where the legacy app's real sample files are (read at test time, never copied into the project)."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "legacy" / "samples"
GENERATED = SAMPLES / "generated"
