/**
 * During `pulumi preview` some values are not known yet; @pulumi/policy wraps props in a
 * proxy that throws `UnknownValueError` when a policy reads one. Both exist at run time, but
 * the package's typings (proxy.d.ts) leave them out, hence this typed access.
 */
import * as sdk from "@pulumi/policy";

interface PreviewValues {
  UnknownValueError: new (...args: never[]) => Error;
  unknownCheckingProxy: <T>(value: T) => T;
}
const runtime = sdk as unknown as PreviewValues & { default?: PreviewValues };

export const UnknownValueError = runtime.UnknownValueError ?? runtime.default!.UnknownValueError;
export const unknownCheckingProxy = runtime.unknownCheckingProxy ?? runtime.default!.unknownCheckingProxy;

/** True when `err` means "this value is computed during preview". */
export const isUnknownValue = (err: unknown): boolean => err instanceof UnknownValueError;
