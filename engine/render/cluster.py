"""Segments as Ray tasks, for a render spread over several machines (``pip install savsr-studio[cluster]``).

The driver (the CLI) plans, owns the work folder and joins, exactly as for a local render; each
missing segment becomes one Ray task asking for the worker's threads as CPUs (or one GPU) that runs
:func:`engine.render.workers.render_segment`. A task writes its segment straight into the work
folder, so every machine must see the input, the model file and the output folder at the same
paths (a shared folder: NFS, SMB, a cloud file system). A finished segment is recorded in the
manifest as it arrives, so a cluster render resumes like a local one. Ray re-runs a task whose
worker died once (``max_retries=1``); a second death fails the render with its segments kept.
"""
from __future__ import annotations

from dataclasses import replace

from .workers import WORKER_DIED, WorkerError, missing_tasks, render_segment

INSTALL_HINT = "pip install 'savsr-studio[cluster]'"


def _ray():
    try:
        import ray
    except ImportError:
        from ..errors import SavsrError
        raise SavsrError(f"a cluster render needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def _segment_task(task, threads: int):
    """Runs on a Ray worker."""
    import torch
    if task.device == "cpu":
        torch.set_num_threads(threads)
    return render_segment(task, lambda: None, lambda _m: None, lambda: None)


def connect(address: str):
    """``local`` starts Ray on this machine; ``ray://HOST:PORT`` (or ``auto``) joins a running cluster."""
    ray = _ray()
    if not ray.is_initialized():
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    return ray


def render_on_cluster(address: str, p, work, model_path, placement, control, meter, note):
    """Render the segments of ``p`` that ``work`` lacks as Ray tasks, recording each as it finishes."""
    tasks = missing_tasks(p, work, model_path, ["cpu"])  # the cluster's GPUs, not the driver's, decide
    if tasks:
        run_on_cluster(address, tasks, placement, work, control, meter, note)


def run_on_cluster(address: str, tasks, placement, work, control, meter, note):
    """Render ``tasks`` as Ray tasks, recording each finished segment in ``work``."""
    ray = connect(address)
    job = tasks[0].plan.job
    gpu = ray.cluster_resources().get("GPU", 0) > 0 and "cpu" not in (job.device, placement.devices)
    threads = placement.threads or 1
    remote = ray.remote(_segment_task).options(num_cpus=1 if gpu else threads, num_gpus=1 if gpu else 0,
                                               max_retries=1, retry_exceptions=False)
    note(f"rendering {len(tasks)} segments as Ray tasks ({'1 GPU' if gpu else f'{threads} CPU'} each) on "
         f"{address}: {ray.cluster_resources().get('CPU', 0):g} CPUs, {ray.cluster_resources().get('GPU', 0):g} GPUs")
    pending = {remote.remote(replace(t, device="cuda:0" if gpu else "cpu"), threads): t for t in tasks}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
            for ref in done:
                task = pending.pop(ref)
                record = _result(ray, ref, task, work)
                if record is not None:
                    work.record_segment(record)
                    for _ in range(record["frames"]):
                        meter.step()
            meter.paused(control.checkpoint())
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if address == "local":
            ray.shutdown()


def _result(ray, ref, task, work):
    try:
        return ray.get(ref)
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.OutOfMemoryError):
        raise WorkerError(f"{WORKER_DIED} twice while rendering {task.describe()} (killed, crashed, out of "
                          "memory or its machine left the cluster)", kept=work.frames_done) from None
    except ray.exceptions.RayTaskError as exc:
        cause = exc.as_instanceof_cause()
        raise cause.cause if getattr(cause, "cause", None) is not None else cause from None
