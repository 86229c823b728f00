import { describe, expect, it } from "vitest";
import { javaFeatureVersion } from "./java.js";

describe("javaFeatureVersion", () => {
  it("reads the feature version from a JDK's release file", () => {
    expect(javaFeatureVersion('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="25.0.3"\n')).toBe(25);
    expect(javaFeatureVersion('JAVA_VERSION="17.0.15"\nJAVA_VERSION_DATE="2025-04-15"')).toBe(17);
    expect(javaFeatureVersion('JAVA_VERSION="21"')).toBe(21);
    expect(javaFeatureVersion('JAVA_VERSION="1.8.0_402"')).toBe(8);
  });

  it("is undefined when the file names no version", () => {
    expect(javaFeatureVersion("IMPLEMENTOR=x\n")).toBeUndefined();
  });
});
