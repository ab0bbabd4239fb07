// `--compose FILE` of build, verify and init docker, declared once: repeated, it names the
// files in order, as `docker compose -f docker-compose.yml -f docker-compose.dev.yml` does
// (CVAT's and Baserow's READMEs build that way); a later file is merged over the first.
import { Option } from 'commander';

export function composeOption(what: string): Option {
  return new Option('--compose <file>', `${what}; repeat it to merge files over the first, as docker compose -f does`)
    .argParser((value: string, previous: string[]) => [...previous, value])
    .default([]);
}
