/**
 * The committed schema module must be exactly what the generator makes of Kafka's JSON schemas, so
 * nobody edits messages.generated.ts by hand and a regenerated copy never drifts silently. The
 * schemas live next to the repository (../shared/kafka-protocol/messages); without them the test
 * is skipped, since there is nothing to compare against.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { renderSchemas } from '../../src/cli/generate-schemas.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const messagesDir = resolve(repoRoot, '..', 'shared', 'kafka-protocol', 'messages');
const generatedFile = join(repoRoot, 'src', 'protocol', 'schema', 'messages.generated.ts');
const schemasPresent = existsSync(join(messagesDir, 'RequestHeader.json'));

describe('generated schema module', () => {
  test.skipIf(!schemasPresent)(
    schemasPresent
      ? 'is exactly what generate-schemas renders from ../shared/kafka-protocol/messages'
      : 'is exactly what generate-schemas renders (skipped: ../shared/kafka-protocol/messages is absent)',
    () => {
      // Compared line by line (one line per message) so a failure names the stale messages.
      const rendered = renderSchemas(messagesDir).split('\n');
      const committed = readFileSync(generatedFile, 'utf8').split('\n');
      expect(
        committed,
        'messages.generated.ts is stale: node dist/src/cli/generate-schemas.js ../shared/kafka-protocol/messages src/protocol/schema/messages.generated.ts',
      ).toStrictEqual(rendered);
    },
  );
});
