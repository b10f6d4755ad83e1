import { setFlagsFromString } from 'node:v8';
import { IsInt, IsString, MaxLength, getMetadataStorage } from 'class-validator';
import { checkInput, createValidationPipe, keepValidationRules } from './validation.js';

class Base {
  @IsString()
  @MaxLength(5)
  name: string;
}

class Derived extends Base {
  @IsInt()
  count: number;
}

class Later {
  @IsString()
  title: string;
}

const pipe = createValidationPipe();
const validate = (metatype: new () => object, value: object) => pipe.transform(value, { type: 'body', metatype });
const refusal = (metatype: new () => object, value: object) =>
  validate(metatype, value).then(
    () => undefined,
    (error: { getResponse(): { code: string; details: { field: string }[] } }) => error.getResponse(),
  );

describe('keepValidationRules', () => {
  it('answers a class the same rules each time without working them out again', () => {
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(Derived, '', false, false);
    const again = storage.getTargetValidationMetadatas(Derived, '', false, false);
    expect(again).toBe(first);
    expect(storage.groupByPropertyName(again)).toBe(storage.groupByPropertyName(first));
    // The inherited rules are there, not only the class's own.
    expect(first.map((rule) => rule.propertyName).sort()).toEqual(['count', 'name', 'name']);
  });

  it('keeps apart what differs in the options', () => {
    const storage = getMetadataStorage();
    expect(storage.getTargetValidationMetadatas(Derived, '', false, false, ['a'])).not.toBe(storage.getTargetValidationMetadatas(Derived, '', false, false));
  });

  it('validates inherited rules as before, valid and not, one input after another', async () => {
    await expect(validate(Derived, { name: 'ann', count: 2 })).resolves.toEqual(Object.assign(new Derived(), { name: 'ann', count: 2 }));
    expect((await refusal(Derived, { name: 'too long', count: 2 }))?.details.map((d) => d.field)).toEqual(['name']);
    expect((await refusal(Derived, { name: 'ann', count: 'x' }))?.details.map((d) => d.field)).toEqual(['count']);
    expect((await refusal(Derived, { name: 'ann', count: 2, extra: 1 }))?.code).toBe('VALIDATION_FAILED');
    await expect(validate(Derived, { name: 'bob', count: 3 })).resolves.toBeInstanceOf(Derived);
  });

  it('forgets what it kept when a rule is added later', async () => {
    await expect(validate(Later, { title: 'x', subtitle: 5 })).rejects.toBeDefined(); // not whitelisted yet
    await expect(validate(Later, { title: 'x' })).resolves.toBeInstanceOf(Later);
    IsString()(Later.prototype, 'subtitle');
    expect((await refusal(Later, { title: 'x', subtitle: 5 }))?.details.map((d) => d.field)).toEqual(['subtitle']);
    await expect(validate(Later, { title: 'x', subtitle: 'y' })).resolves.toEqual(Object.assign(new Later(), { title: 'x', subtitle: 'y' }));
  });

  it('installs once however often it is called', () => {
    const storage = getMetadataStorage();
    const lookup = storage.getTargetValidationMetadatas;
    keepValidationRules(storage);
    keepValidationRules();
    expect(storage.getTargetValidationMetadatas).toBe(lookup);
  });
});

describe('checkInput', () => {
  it('refuses NUL, deep nesting and prototype keys', () => {
    expect(() => checkInput({ a: 'x\u0000' })).toThrow(/NUL/);
    let deep: object = {};
    for (let i = 0; i < 40; i++) deep = { deep };
    expect(() => checkInput(deep)).toThrow(/nested/);
    expect(() => checkInput(JSON.parse('{"__proto__": {"x": 1}}'))).toThrow(/prototype/);
    expect(() => checkInput({ a: [1, 'b', { c: null }] })).not.toThrow();
  });
});

describe('createValidationPipe', () => {
  // V8's own check (natives syntax, allowed here for the functions compiled after it): the options the
  // pipe hands class-validator for each input share one hidden class. When the pipe added
  // `validationError` to its copy of the options on every input, each copy got a new one, allocated in
  // the old generation with the inline caches that then missed on it (docs/performance.md, round 7).
  it('hands class-validator options of the same hidden class for every input', async () => {
    setFlagsFromString('--allow-natives-syntax');
    const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
    const seen: object[] = [];
    const own = createValidationPipe();
    // `validate` is the pipe's protected hook that class-validator's options go through.
    const hook = own as unknown as { validate: (object: object, options: object) => unknown };
    const validateOnce = hook.validate.bind(own);
    hook.validate = (object, options) => {
      seen.push(options);
      return validateOnce(object, options);
    };
    // Enough inputs for the copy's inline cache to leave its first, generic state.
    for (let i = 0; i < 20; i++) await own.transform({ name: `n${i}` }, { type: 'body', metatype: Base });
    expect(seen).toHaveLength(20);
    // The first few go through V8's generic path and may differ from the rest; after it, one class.
    const settled = seen.slice(10);
    expect(settled.filter((options) => !haveSameMap(options, settled[0]))).toHaveLength(0);
    expect(seen[0]).toMatchObject({ validationError: { target: false } });
  });
});
