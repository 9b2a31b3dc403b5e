"""Issue 21 item 15: ``train --dry-run`` builds the data, so a config whose data cannot load is one line, exit 2.

It used to say "valid" for ``dataset: folder`` with no path or a missing path, and for ``digits`` (one
channel) with ``channels: 3``; each then failed only when training started.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.helpers import RUN_CONFIG, assert_one_line_error, cli, write


@pytest.mark.parametrize(("data", "needles"), [
    ("{dataset: folder, resolution: 16}", ("data.path is required for dataset 'folder'", "png/jpg")),
    ("{dataset: array, resolution: 16}", ("data.path is required for dataset 'array'", ".npy or .npz")),
    ("{dataset: folder, resolution: 16, path: MISSING}", ("MISSING", "no such folder", "data.path")),
    ("{dataset: folder, resolution: 16, path: ''}", ("data.path is required for dataset 'folder'",)),
    ("{dataset: digits, resolution: 16, channels: 3}", ("dataset 'digits' has 1 channel(s)", "data.channels is 3",
                                                        "data.channels: 1")),
    ("{dataset: stacked-digits, resolution: 16, channels: 1}", ("has 3 channel(s)", "data.channels: 3")),
])
def test_data_that_cannot_load_fails_the_dry_run(tmp_path: Path, data: str, needles: tuple[str, ...]) -> None:
    config = RUN_CONFIG.replace("{dataset: gaussian-grid, resolution: 16}",
                                data.replace("MISSING", str(tmp_path / "nowhere")))
    path = write(tmp_path / "run.yaml", config)
    needles = tuple(n.replace("MISSING", str(tmp_path / "nowhere")) for n in needles)
    result = cli("train", path, "--dry-run", "--out", tmp_path / "out")
    assert_one_line_error(result, *needles)
    assert "valid" not in result[1]


def test_a_folder_of_images_passes_the_dry_run(tmp_path: Path) -> None:
    from PIL import Image

    for i in range(4):
        Image.new("RGB", (20, 20), (i * 40, 0, 0)).save(write(tmp_path / "imgs" / f"{i}.png", b""))
    folder = f"{{dataset: folder, resolution: 16, path: '{tmp_path / 'imgs'}'}}"
    path = write(tmp_path / "run.yaml", RUN_CONFIG.replace("{dataset: gaussian-grid, resolution: 16}", folder))
    code, out, err = cli("train", path, "--dry-run", "--out", tmp_path / "out")
    assert (code, err) == (0, "") and "valid" in out
