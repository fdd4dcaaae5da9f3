"""The example notebook (examples/quickstart.ipynb) runs from top to bottom.

Executed with nbclient on this environment's Python kernel, in a scratch copy of the
examples folder, so what the notebook shows a new user works with the code beside it.
Any cell that raises fails the test with the cell's error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_quickstart_notebook_runs(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "quickstart.ipynb", tmp_path)
    notebook = nbformat.read(tmp_path / "quickstart.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    text = "".join(out.get("text", "") for out in outputs)
    assert "95% bootstrap interval" in text and "calls =" in text
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert images, "the figure cell drew nothing"
