import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalServiceError } from '../../src/local/errors.js';
import { checkJava, javaCommand } from '../../src/local/java.js';

describe('javaCommand', () => {
  it('prefers JAVA_HOME/bin over PATH', () => {
    expect(javaCommand('java', { JAVA_HOME: '/opt/jdk' })).toBe('/opt/jdk/bin/java');
    expect(javaCommand('javac', { JAVA_HOME: '/opt/jdk' })).toBe('/opt/jdk/bin/javac');
    expect(javaCommand('java', {})).toBe('java');
  });
});

describe('checkJava', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('answers the machine Java feature version, 17 or newer', async () => {
    expect(await checkJava()).toBeGreaterThanOrEqual(17);
  });

  it('fails with LOCAL_JAVA_NOT_FOUND and says what to do when JAVA_HOME points nowhere', async () => {
    vi.stubEnv('JAVA_HOME', '/nonexistent/jdk');
    const error = await checkJava().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalServiceError);
    expect(error).toMatchObject({
      code: 'LOCAL_JAVA_NOT_FOUND',
      message: 'No Java found (tried /nonexistent/jdk/bin/java): install a JDK 17 or newer, or set JAVA_HOME',
    });
  });
});
