import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/program.js';

describe('probestream CLI', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function capture() {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return {
      out: () => out.mock.calls.map((c) => String(c[0])).join(''),
      err: () => err.mock.calls.map((c) => String(c[0])).join(''),
    };
  }

  it('prints the package version with --version and exits 0', () => {
    const io = capture();
    expect(main(['--version'])).toBe(0);
    expect(io.out()).toBe('0.1.0\n');
  });

  it('prints help with --help and exits 0', () => {
    const io = capture();
    expect(main(['--help'])).toBe(0);
    expect(io.out()).toMatch(/^probestream 0\.1\.0: /);
  });

  it('rejects an unknown command or flag with exit code 2 and says which', () => {
    const io = capture();
    expect(main(['frobnicate'])).toBe(2);
    expect(main(['--frobnicate'])).toBe(2);
    expect(io.err()).toContain('unknown command "frobnicate"');
    expect(io.err()).toContain("Unknown option '--frobnicate'");
  });
});
