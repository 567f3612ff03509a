"""``execute``: re-run solution notebooks top to bottom and save them with their outputs.

Runs each notebook with nbclient in a fresh ``python3`` kernel whose working directory
is the notebook's folder (as nbval does), without timing metadata, with
``PYTHONHASHSEED=0`` and without ``MPLBACKEND`` (an Agg backend would make figures
vanish), so that two runs of a deterministic notebook save the same bytes.
"""
from __future__ import annotations

import os
from pathlib import Path

from ._build import notebook_bytes

KERNEL = "python3"


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"  # set ordering in printed output stays fixed
    env.pop("MPLBACKEND", None)  # keep ipykernel's inline backend so figures are saved
    return env


def _coalesce_streams(nb) -> None:
    """Merge consecutive stdout (or stderr) outputs of a cell into one.

    How printed text is split into messages depends on timing; merged, the saved file is
    the same on every run (nbval merges them the same way before comparing).
    """
    for cell in nb.cells:
        merged = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def execute_notebook(path: str | Path, timeout: int = 600) -> None:
    """Execute the notebook at ``path`` and save it in place.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised (and is not tagged
            ``raises-exception``); the file is left unchanged.
    """
    import nbclient  # dev dependency, imported only when used
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)  # gives cells without an id one, saved below
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": KERNEL,
    }
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute(env=_kernel_env())
    _coalesce_streams(nb)
    data = notebook_bytes(nb)
    if path.read_bytes() != data:
        path.write_bytes(data)
