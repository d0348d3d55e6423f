// Differential privacy's Node half: the noise source, drawn from the operating system's cryptographic
// generator (node:crypto). The accountant and the calibration run anywhere, in shared/privacy/.
export { cryptoGaussian, type GaussianSource } from './gaussian-noise.ts';
