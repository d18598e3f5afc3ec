export { machineFingerprint, fingerprintInputs, installId, osMachineId } from './fingerprint.js';
export { collectDeviceInfo, resetDeviceInfoCache, isPrivateAddress, type DeviceInfo } from './device-info.js';
