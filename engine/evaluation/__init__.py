"""The benchmark protocol: metrics (Y-PSNR/SSIM, degradation) and the evaluation over clips and scales."""
