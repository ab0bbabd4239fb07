// `offgrid shell-init bash`: the functions of the guide's scripts/enhanced_build_logging.sh,
// so existing scripts can `eval "$(offgrid shell-init bash)"` and keep working.
import { OffgridError } from '../../errors.js';
import { say, type CliIO } from '../io.js';

export interface ShellInitOptions {
  readonly shell: string;
  /** How the functions call offgrid back (absolute, so they work without PATH changes). */
  readonly offgrid: readonly string[];
}

export async function shellInitCommand(options: ShellInitOptions, io: CliIO): Promise<number> {
  if (options.shell !== 'bash' && options.shell !== 'zsh') {
    throw new OffgridError('EUSAGE', `no shell functions for ${options.shell}; offgrid knows bash and zsh`);
  }
  say(io.stdout, bashFunctions(options.offgrid));
  return 0;
}

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

export function bashFunctions(offgrid: readonly string[]): string {
  const og = offgrid.map(quote).join(' ');
  return `# offgrid: download logging for build scripts (eval "$(offgrid shell-init bash)")
# Every call records a session in \${OFFGRID_LOG_DIR:-logs}/build/ (downloads_*.json and friends).

apt_get_with_logging() {
  ${og} run --log-dir "\${OFFGRID_LOG_DIR:-logs}" -- apt-get "$@"
}

pip_with_logging() {
  ${og} run --log-dir "\${OFFGRID_LOG_DIR:-logs}" -- pip "$@"
}

# monitor_docker_build SERVICE [docker build arguments…]
# Builds with BuildKit's plain progress, keeps the log in logs/docker_build/build_SERVICE.log,
# and records the downloads of every step, attributed to SERVICE.
monitor_docker_build() {
  if [ "$#" -lt 1 ]; then
    echo "usage: monitor_docker_build SERVICE [docker build arguments...]" >&2
    return 2
  fi
  local service="$1"; shift
  local dir="\${OFFGRID_LOG_DIR:-logs}"
  mkdir -p "$dir/docker_build" || return 2
  DOCKER_BUILDKIT=1 ${og} run --log-dir "$dir" --service "$service" -- docker build --progress=plain "$@" \\
    2>&1 | tee "$dir/docker_build/build_\${service}.log"
  return "\${PIPESTATUS[0]}"
}
`;
}
