import { describe, expect, it } from "vitest";
import { DEFAULT_RETIREMENT } from "@hiwl/model";
import { DEFAULT_LIMITS, limits, retirementRules } from "../src/index.ts";

describe("retirementRules", () => {
  it("are HIWL's defaults unless $HIWL_RETIREMENT overrides some of them", () => {
    expect(retirementRules(undefined)).toEqual(DEFAULT_RETIREMENT);
    expect(retirementRules("")).toEqual(DEFAULT_RETIREMENT);
    expect(retirementRules('{"count": 20, "consensusShare": 0.8}')).toEqual({ ...DEFAULT_RETIREMENT, count: 20, consensusShare: 0.8 });
  });

  it("name what is wrong with a bad value", () => {
    expect(() => retirementRules("{count: 20}")).toThrow(/HIWL_RETIREMENT is not JSON/);
    expect(() => retirementRules('{"count": 0}')).toThrow(/HIWL_RETIREMENT: count: /);
    expect(() => retirementRules('{"consensusShare": 1.5}')).toThrow(/HIWL_RETIREMENT: consensusShare: /);
    expect(() => retirementRules('{"cont": 20}')).toThrow(/HIWL_RETIREMENT: .*cont/);
  });
});

describe("limits", () => {
  it("are the documented defaults unless $HIWL_LIMITS overrides some fields, buckets field by field", () => {
    expect(limits(undefined)).toEqual(DEFAULT_LIMITS);
    expect(limits(" ")).toEqual(DEFAULT_LIMITS);
    expect(limits('{"votesPerAddress": 3, "identities": {"burst": 60}}')).toEqual({
      ...DEFAULT_LIMITS,
      votesPerAddress: 3,
      identities: { burst: 60, perMinute: DEFAULT_LIMITS.identities.perMinute },
    });
  });

  it("name what is wrong with a bad value", () => {
    expect(() => limits("[")).toThrow(/HIWL_LIMITS is not JSON/);
    expect(() => limits('{"votesPerAddress": 0}')).toThrow(/HIWL_LIMITS: votesPerAddress: /);
    expect(() => limits('{"identities": {"burst": 2.5}}')).toThrow(/HIWL_LIMITS: identities.burst: /);
    expect(() => limits('{"submissions": {"perMinute": -1}}')).toThrow(/HIWL_LIMITS: submissions.perMinute: /);
    expect(() => limits('{"bodyByte": 10}')).toThrow(/HIWL_LIMITS: .*bodyByte/);
  });
});
