import { describe, expect, it } from "vitest";
import { checkArgs } from "../src/validate";

const ROW = {
  type: "object",
  properties: {
    text: { type: "string", minLength: 1, maxLength: 10, pattern: "^[^<>]*$" },
    row: { type: "integer", minimum: 1 },
    done: { type: "boolean" },
    tags: { type: "array", items: { type: "string" }, maxItems: 2 },
    colour: { enum: ["red", "green"] },
  },
  required: ["text"],
  additionalProperties: false,
};

describe("checkArgs", () => {
  it("accepts arguments that fit", () => {
    expect(checkArgs(ROW, { text: "milk", row: 2, done: true, tags: ["a"], colour: "red" })).toEqual([]);
  });

  it("names the field of each problem", () => {
    expect(checkArgs(ROW, {})).toEqual(["text: required, but missing"]);
    expect(checkArgs(ROW, { text: 5 })).toEqual(["text: expected string, got integer"]);
    expect(checkArgs(ROW, { text: "a", row: 1.5 })).toEqual(["row: expected integer, got number"]);
    expect(checkArgs(ROW, { text: "a", row: 0 })).toEqual(["row: less than 1"]);
    expect(checkArgs(ROW, { text: "a", extra: 1 })).toEqual(["extra: not a parameter of this function"]);
    expect(checkArgs(ROW, { text: "a", tags: ["x", 2] })).toEqual(["tags[1]: expected string, got integer"]);
    expect(checkArgs(ROW, { text: "a", tags: ["x", "y", "z"] })).toEqual(["tags: more than 2 items"]);
    expect(checkArgs(ROW, { text: "a", colour: "blue" })).toEqual(['colour: must be one of "red", "green"']);
    expect(checkArgs(ROW, { text: "" })).toEqual(["text: shorter than 1 characters"]);
  });

  it("checks patterns (the server leaves them to the widget)", () => {
    expect(checkArgs(ROW, { text: "<b>" })).toEqual(["text: does not match ^[^<>]*$"]);
  });

  it("follows local $ref and anyOf, as pydantic writes them", () => {
    const schema = {
      type: "object",
      $defs: { Size: { type: "string", enum: ["s", "l"] } },
      properties: {
        size: { $ref: "#/$defs/Size" },
        note: { anyOf: [{ type: "string" }, { type: "null" }] },
      },
    };
    expect(checkArgs(schema, { size: "s", note: null })).toEqual([]);
    expect(checkArgs(schema, { size: "m" })).toEqual(['size: must be one of "s", "l"']);
    expect(checkArgs(schema, { note: 3 })).toEqual(["note: matches none of the allowed forms"]);
  });

  it("ignores what it does not know, and survives a schema that refers to itself", () => {
    expect(checkArgs({ type: "object", properties: { a: { format: "email", "x-ui": 1 } } }, { a: "x" })).toEqual([]);
    const loop = { type: "object", properties: { a: { $ref: "#" } } };
    expect(checkArgs(loop, { a: { a: { a: {} } } })).toEqual([]);
    expect(checkArgs(loop, { a: 1 })).toEqual(["a: expected object, got integer"]);
  });
});
