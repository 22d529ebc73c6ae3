"""Kill a real render with SIGKILL, resume it, and compare with an uninterrupted render.

    .venv/bin/python benchmarks/kill_resume.py                       # bundled sample, bundled model, x2
    .venv/bin/python benchmarks/kill_resume.py --codec h264 --kill-after 1

Runs ``savsr upscale`` three times in separate processes: uninterrupted, killed (``kill -9``) once
``--kill-after`` segments are finished, then ``--resume``. Prints where the render was killed, the
frames kept, the wall time of each run, and whether every decoded frame and every audio packet
equals the uninterrupted render's (by SHA-256).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def frame_hashes(path: Path) -> list[str]:
    import av
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


def audio_hashes(path: Path) -> list[str]:
    import av
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return []
        return [hashlib.sha256(bytes(p)).hexdigest() for p in c.demux(c.streams.audio[0]) if p.size]


def main():
    from engine.render.workdir import WorkFolder
    from engine.resources import sample_clip_path
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", nargs="?", help="clip (default: the bundled sample)")
    ap.add_argument("--scale", default="2")
    ap.add_argument("--codec", default="ffv1", help="ffv1 (lossless: exact comparison) or h264 ...")
    ap.add_argument("--segment-frames", type=int, default=None, help="default: the engine's (~2 s of video)")
    ap.add_argument("--kill-after", type=int, default=1, help="finished segments before the kill")
    ap.add_argument("--end", default=None, help="render only up to this time (seconds)")
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    src = Path(args.input or sample_clip_path())
    ext = ".mkv" if args.codec == "ffv1" else ".mp4"
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def command(out: Path, *extra) -> list[str]:
            cmd = [sys.executable, "-m", "engine", "upscale", str(src), "-o", str(out), "--scale", args.scale,
                   "--codec", args.codec, "-q", *extra]
            for flag, value in (("--segment-frames", args.segment_frames), ("--end", args.end),
                                ("--model", args.model)):
                if value is not None:
                    cmd += [flag, str(value)]
            return cmd

        whole, killed = tmp / f"whole{ext}", tmp / f"killed{ext}"
        t0 = time.monotonic()
        subprocess.run(command(whole), cwd=ROOT, env=env, check=True)
        t_whole = time.monotonic() - t0

        t0 = time.monotonic()
        proc = subprocess.Popen(command(killed), cwd=ROOT, env=env)
        work = WorkFolder(killed)
        while True:
            if proc.poll() is not None:
                sys.exit("the render finished before it could be killed: use a longer clip or --kill-after 0")
            manifest = work.read() if work.exists() else None
            if manifest and len(manifest["segments"]) >= args.kill_after:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        t_killed = time.monotonic() - t0
        manifest = work.read()
        kept = sum(s["frames"] for s in manifest["segments"])

        t0 = time.monotonic()
        subprocess.run(command(killed, "--resume"), cwd=ROOT, env=env, check=True)
        t_resumed = time.monotonic() - t0

        a, b = frame_hashes(whole), frame_hashes(killed)
        same_frames = a == b
        same_audio = audio_hashes(whole) == audio_hashes(killed)
        print(f"clip: {src.name}, x{args.scale}, {args.codec}, segments of {manifest['segment_frames']} frames")
        print(f"uninterrupted: {len(a)} frames in {t_whole:.1f} s")
        print(f"killed (SIGKILL) after {len(manifest['segments'])} segment(s): {kept} of "
              f"{manifest['total_frames']} frames kept, {t_killed:.1f} s in")
        print(f"resumed: {len(b)} frames in {t_resumed:.1f} s; work folder left: {work.exists()}")
        print(f"decoded frames identical: {'yes' if same_frames else 'NO'} "
              f"({sum(x == y for x, y in zip(a, b))}/{len(a)}); audio packets identical: "
              f"{'yes' if same_audio else 'NO'}")


if __name__ == "__main__":
    main()
