import { ProbestreamApiClient } from '../../bot/api-client.js';
import { ApiRequestError } from '../../bot/errors.js';
import { queryFailedReply } from '../../bot/format.js';
import { htmlToText } from '../../bot/html.js';
import { lookupReply } from '../../bot/lookup.js';
import { defineCommand } from '../command.js';

export const queryCommand = defineCommand({
  name: 'query',
  summary: "Look a device up by MAC or name through the API, and print the bot's answer.",
  arguments: '<mac|name>',
  positionals: { min: 1, max: 1 },
  description: `
A MAC (any case, with ':' or '-' or none) is looked up by MAC, anything else by device name, through the
API at --api (any instance answers for all). Exit 0 with the stats, 1 when no device matched or the API
failed (the reason is printed).`,
  settings: ['apiUrl', 'timezone'],
  async run({ settings, positionals, stdout, stderr }) {
    const api = new ProbestreamApiClient({ apiUrl: settings.apiUrl });
    try {
      const answer = await lookupReply(api, positionals[0] as string, settings.timezone);
      stdout.write(`${htmlToText(answer.text)}\n`);
      return answer.found ? 0 : 1;
    } catch (error) {
      if (!(error instanceof ApiRequestError)) throw error;
      stderr.write(`${htmlToText(queryFailedReply(error))}\n`);
      if (error.status === undefined) {
        stderr.write(
          'Is `probestream start` running there? Give its address with --api or PROBESTREAM_API_URL.\n',
        );
      }
      return 1;
    }
  },
});
