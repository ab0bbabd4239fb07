// What `offgrid init docker` reports as still needing the network: fetches it cannot make
// local (src/docker/network-steps.ts). Each case is a RUN line in the shape real Dockerfiles
// write it; test/docker/real-dockerfiles.test.ts runs whole files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addNetworkUses, runNetworkUses, simpleCommands } from '../../src/docker/network-steps.js';
import { makeOfflineReady } from '../../src/docker/init.js';
import { builderFetches, describeBuilderFetch, type ServiceAnalysis } from '../../src/docker/analysis.js';
import type { DownloadRecord } from '../../src/ledger/schema.js';
import { pullFailureHint } from '../../src/docker/preflight.js';

const whats = (text: string): string[] => runNetworkUses(text).map((u) => u.what);

test('simpleCommands: split at shell operators, wrappers and quotes dropped, pipes kept', () => {
  assert.deepEqual(
    simpleCommands('set -eux; \\\n  sudo -E DEBIAN_FRONTEND=noninteractive curl -fsSL "https://x.org/a.sh" | bash -s -- --yes && bash -c "wget -q $URL"').map((c) => [c.words[0], c.pipedTo]),
    [['set', null], ['curl', 'bash'], ['bash', null], ['wget', null]],
  );
  assert.deepEqual(simpleCommands('VERSION=$(curl -s https://api.example.org/latest) && echo $VERSION').map((c) => c.words[0]), ['curl', 'echo']);
});

test('curl and wget: the URL they fetch; an install script piped to a shell or interpreter; a key piped to gpg', () => {
  assert.deepEqual(whats('wget -q https://github.com/jgm/pandoc/releases/download/3.1/pandoc-3.1-1-amd64.deb && dpkg -i pandoc-3.1-1-amd64.deb'), [
    'wget fetches https://github.com/jgm/pandoc/releases/download/3.1/pandoc-3.1-1-amd64.deb',
  ]);
  assert.deepEqual(whats('curl -fsSL https://deb.nodesource.com/setup_18.x | bash - && apt-get install -y nodejs'), [
    'curl fetches https://deb.nodesource.com/setup_18.x and runs it with bash (an install script, which downloads more)',
  ]);
  assert.deepEqual(whats('curl -sSL https://install.python-poetry.org | python3 -'), [
    'curl fetches https://install.python-poetry.org and runs it with python3 (an install script, which downloads more)',
  ]);
  assert.deepEqual(whats('curl -fsSL https://download.docker.com/linux/debian/gpg | gpg --dearmor -o /etc/apt/keyrings/docker.gpg'), [
    'curl fetches the signing key https://download.docker.com/linux/debian/gpg',
  ]);
  assert.deepEqual(whats('curl -L -o /tmp/x.tgz "${TOOL_URL}" && tar xzf /tmp/x.tgz'), ['curl fetches ${TOOL_URL}']);
  // A token in the URL is redacted in what init prints.
  assert.deepEqual(whats('curl -O https://user:s3cret@files.example.org/a.tgz'), ['curl fetches https://***@files.example.org/a.tgz']);
  // curl without a URL fetches nothing.
  assert.deepEqual(whats('curl --version && wget --help'), []);
});

test('git, PPAs and keyservers', () => {
  assert.deepEqual(whats('git clone --depth 1 https://github.com/facebookresearch/detectron2.git /detectron2 && cd /detectron2'), [
    'git clone https://github.com/facebookresearch/detectron2.git fetches a repository',
  ]);
  assert.deepEqual(whats('git submodule update --init --recursive'), ['git submodule update fetches a repository']);
  assert.deepEqual(whats('git config --global user.email x@y && git log -1'), []);
  assert.deepEqual(whats('add-apt-repository -y ppa:deadsnakes/ppa && apt-get update'), ["add-apt-repository ppa:deadsnakes/ppa fetches the PPA's signing key from Launchpad"]);
  // A component or a deb line is only written to the sources.
  assert.deepEqual(whats('add-apt-repository universe && add-apt-repository "deb [arch=amd64] https://download.docker.com/linux/ubuntu focal stable"'), []);
  assert.deepEqual(whats('apt-key adv --keyserver hkp://keyserver.ubuntu.com:80 --recv-keys 0xB1998361219BD9C9'), ['apt-key fetches a signing key from a keyserver']);
  assert.deepEqual(whats('gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys "$GPG_KEY"'), ['gpg fetches a signing key from a keyserver']);
});

test('package managers init has no local archive for: the fetching subcommands, not the others, not in offline mode', () => {
  assert.deepEqual(whats('npm ci --omit=dev && npm run build && npm cache clean --force'), ['npm ci fetches from its package registry']);
  assert.deepEqual(whats('npm ci --offline'), []);
  assert.deepEqual(whats('yarn --frozen-lockfile && yarn build'), ['yarn fetches from its package registry']);
  assert.deepEqual(whats('pnpm install --frozen-lockfile && pnpm run build'), ['pnpm install fetches from its package registry']);
  assert.deepEqual(whats('go mod download && CGO_ENABLED=0 go build -o /app ./cmd/app'), ['go mod download fetches from the module proxy']);
  assert.deepEqual(whats('go install github.com/go-delve/delve/cmd/dlv@latest && go install ./cmd/...'), ['go install fetches from the module proxy']);
  assert.deepEqual(whats('cargo build --release'), []);
  assert.deepEqual(whats('cargo install cargo-chef --locked'), ['cargo install fetches from its package registry']);
  assert.deepEqual(whats('bundle config set --local without development && bundle install --jobs 4'), ['bundle install fetches from its package registry']);
  assert.deepEqual(whats('gem install bundler:2.4.10'), ['gem install fetches from its package registry']);
  assert.deepEqual(whats('composer install --no-dev --optimize-autoloader'), ['composer install fetches from its package registry']);
  assert.deepEqual(whats('conda env create -f environment.yml && conda clean -afy'), ['conda env create fetches from its package registry']);
  assert.deepEqual(whats('./mvnw -B dependency:go-offline && ./mvnw -o package && mvn --version'), ['mvn dependency:go-offline fetches from its package registry']);
  assert.deepEqual(whats('./gradlew build --no-daemon'), ['gradle build fetches from its package registry']);
  assert.deepEqual(whats('dotnet restore && dotnet publish -c Release --no-restore'), ['dotnet restore fetches from its package registry']);
  assert.deepEqual(whats('pipx install poetry==1.8.3'), ['pipx install fetches from its package registry']);
});

test("distribution package managers other than apt (apk, dnf/yum/microdnf, zypper, pacman): init has no local repository for them, so they are named", () => {
  // github.com/pycgo/pydocker Dockerfile (FROM rockylinux:8.5): dnf and pip in one RUN.
  assert.deepEqual(whats('dnf install python38 -y  && \\\n    dnf clean all && \\\n    pip3 install -r /requirements.txt'), ["dnf install fetches from the distribution's RPM repositories"]);
  // github.com/redhat-developer/devspaces-theia conf/theia-endpoint-runtime-binary/ubi8-brew/runtime-from.dockerfile (ubi8-minimal).
  assert.deepEqual(whats('microdnf update -y nodejs npm kernel-headers systemd && microdnf clean all && rm -rf /var/cache/yum && \\\n    echo "Installed Packages" && rpm -qa | sort -V'), [
    "microdnf update fetches from the distribution's RPM repositories",
  ]);
  assert.deepEqual(whats('yum -C install -y vim && yum clean all'), []);
  // A SLE Dockerfile (find_string id 7765994908): a refresh, then an install.
  assert.deepEqual(whats('zypper --gpg-auto-import-keys ref -s && zypper --non-interactive install gcc48 gcc48-c++ make git'), [
    "zypper ref fetches from the distribution's repositories",
    "zypper install fetches from the distribution's repositories",
  ]);
  // An Arch Linux Dockerfile (find_string id 15678349348): -Syu fetches, -Scc only cleans.
  assert.deepEqual(whats('pacman -Syu --noconfirm dmidecode hardinfo \\\n    && pacman -Scc --noconfirm'), ["pacman -S fetches from the distribution's repositories"]);
  assert.deepEqual(whats('pacman -Ss python && pacman -Qi bash'), []);
  // github.com/Grandelfino/homepage (node-alpine-apk.Dockerfile); `apk del` and --no-network fetch nothing.
  assert.deepEqual(whats('apk update && \\\n    apk add --no-cache git && \\\n    apk add --update python3 make g++ &&\\\n    rm -rf /var/cache/apk/*'), [
    "apk update fetches from Alpine's repositories",
    "apk add fetches from Alpine's repositories",
  ]);
  assert.deepEqual(whats('apk add --no-network --allow-untrusted /apks/*.apk && apk del .build-deps'), []);
});

test('cargo build, go build and dotnet publish fetch the dependencies no earlier step of the stage (or of a stage it is built FROM) left local', () => {
  const network = (text: string) => makeOfflineReady(text).needsNetwork.map((n) => `line ${n.line}: ${n.what}`);
  // github.com/jawg/blog-resources docker-multi-stage-build/rust-lang/multi-stage-build.dockerfile (comments cut).
  assert.deepEqual(network('FROM rust:1-stretch as builder\nWORKDIR /usr/src/app\nCOPY . .\nRUN cargo build --release\n'), ['line 4: cargo build fetches from its package registry']);
  // github.com/yur0n/checker Dockerfile.
  assert.deepEqual(network('FROM golang:alpine AS builder\nWORKDIR /app\nCOPY . .\nRUN go build -o app .\n'), ['line 4: go build fetches from the module proxy']);
  // github.com/d4niel-olaya/PlannerApp dockerfile: publish restores first.
  assert.deepEqual(network('FROM mcr.microsoft.com/dotnet/sdk:6.0 AS build\nWORKDIR /app\nCOPY . .\nRUN dotnet publish -c Release -o out\n'), ['line 4: dotnet publish fetches from its package registry']);
  // github.com/Enucatl/crabberbot Dockerfile @16a6594a (lines 30-45, comments cut): the dummy
  // project's build fetches the crates; the real build later in the stage finds them.
  const crabberbot = [
    'FROM rust:1-slim-trixie AS builder',
    'WORKDIR /usr/src/crabberbot',
    'COPY Cargo.toml Cargo.lock ./',
    'RUN mkdir src && echo "fn main() {}" > src/main.rs',
    'RUN cargo build --release && cargo test --no-run',
    'RUN rm -rf src target/release/deps/crabberbot*',
    'COPY src ./src',
    'RUN echo "building release ${CARGO_PACKAGE_VERSION}" && cargo build --release && cargo test --no-run',
  ].join('\n');
  assert.deepEqual(network(crabberbot), ['line 5: cargo build fetches from its package registry']);
  // A Go bot's Dockerfile (find_string id 12258052084, the builder stage): go mod download is the fetch; a stage FROM it has the modules too.
  const goBot = 'FROM golang:1.23-alpine AS builder\n\nWORKDIR /app\n\nCOPY go.mod go.sum ./\nRUN go mod download\n\nCOPY . .\n\nRUN CGO_ENABLED=0 GOOS=linux go build -o /bot ./cmd/bot/main.go\nRUN CGO_ENABLED=0 GOOS=linux go build -o /worker ./cmd/worker/main.go\n';
  assert.deepEqual(network(goBot), ['line 6: go mod download fetches from the module proxy']);
  assert.deepEqual(network(`${goBot}FROM builder AS test\nRUN go test ./...\nFROM golang:1.23-alpine\nCOPY . .\nRUN go vet ./...\n`), [
    'line 6: go mod download fetches from the module proxy',
    'line 16: go vet fetches from the module proxy',
  ]);
  // Offline flags.
  const stage = (run: string) => runNetworkUses(run, new Set()).map((u) => u.what);
  assert.deepEqual(stage('go build -mod=vendor -o /app . && dotnet build --no-restore && cargo build --frozen'), []);
  assert.deepEqual(stage('go mod download && go build -o /app .'), ['go mod download fetches from the module proxy']);
});

test("a build after a COPY --from of the cargo or Go module home from a stage that fetched the dependencies (cargo-chef's cacher) is not named", () => {
  const network = (text: string) => makeOfflineReady(text).needsNetwork.map((n) => `line ${n.line}: ${n.what}`);
  // A Pokédex API's Dockerfile (find_string id 28779790963), its first three stages.
  const pokedex = [
    '# compute a lock-like file for our project', 'FROM lukemathwalker/cargo-chef as planner', 'WORKDIR app', 'COPY . .', 'RUN cargo chef prepare  --recipe-path recipe.json', '',
    '# build only the  project dependencies', 'FROM lukemathwalker/cargo-chef as cacher', 'WORKDIR app', 'COPY --from=planner /app/recipe.json recipe.json', 'RUN cargo chef cook --release --recipe-path recipe.json', '',
    '# build our application, leveraging the cached deps!', 'FROM rust:1.52 AS builder', 'WORKDIR app', 'COPY --from=cacher /app/target target', 'COPY --from=cacher /usr/local/cargo /usr/local/cargo', 'COPY . .', '',
    'RUN cargo build --release --bin pokedex', '',
  ].join('\n');
  assert.deepEqual(network(pokedex), ['line 11: cargo chef cook fetches from its package registry']);
  // Odin's Dockerfile (find_string id 10034883553) copies the registry alone.
  assert.deepEqual(network(pokedex.replace('COPY --from=cacher /usr/local/cargo /usr/local/cargo', 'COPY --from=cacher /usr/local/cargo/registry /usr/local/cargo/')), ['line 11: cargo chef cook fetches from its package registry']);
  // Another path from that stage, or the home from a stage that fetched nothing, brings no dependencies.
  assert.deepEqual(network(pokedex.replace('COPY --from=cacher /usr/local/cargo /usr/local/cargo', 'COPY --from=cacher /etc/ssl /etc/ssl')), [
    'line 11: cargo chef cook fetches from its package registry',
    'line 20: cargo build fetches from its package registry',
  ]);
  assert.deepEqual(network('FROM golang:1.22 AS deps\nCOPY go.mod go.sum ./\nRUN go mod download\nFROM golang:1.22\nCOPY --from=deps /go/pkg/mod /go/pkg/mod\nCOPY . .\nRUN go build ./...\n'), ['line 3: go mod download fetches from the module proxy']);
});

test('go and cargo builds a variable keeps off the network (GOFLAGS=-mod=vendor, GOPROXY=off, CARGO_NET_OFFLINE=true), set by ENV or for the command, are not named', () => {
  const network = (text: string) => makeOfflineReady(text).needsNetwork.map((n) => `line ${n.line}: ${n.what}`);
  // A Telegram bot's Dockerfile (find_string id 13209810256), its build stage: vendored modules, ENV GOFLAGS=-mod=vendor.
  const vendored =
    'FROM golang:1.23 AS build\nWORKDIR /app\n\n# Используем vendor\nENV GOFLAGS=-mod=vendor\nENV GOWORK=off\nENV CGO_ENABLED=0 GOOS=linux GOARCH=amd64\n\n' +
    '# Кэш\nCOPY go.mod go.sum ./\nCOPY vendor ./vendor\n\n# Исходники\nCOPY . .\n\n# Сборка \nRUN go build -tags timetzdata -o /bin/bot ./cmd/bot\n';
  assert.deepEqual(network(vendored), []);
  // A stage FROM it inherits the variable.
  assert.deepEqual(network(`${vendored}FROM build AS test\nRUN go test ./...\n`), []);
  // bdwyertech/ecr-proxy's Dockerfile (find_string id 44311315642), its first stage: the variable set for the command.
  assert.deepEqual(network('FROM golang:1.16.6-alpine as ecr-login\nWORKDIR /code\nARG BUILD_DATE\nARG VCS_REF\nCOPY . .\nRUN CGO_ENABLED=0 GOFLAGS=-mod=vendor go build -ldflags "-s -w -X main.GitCommit=$VCS_REF -X main.ReleaseDate=$BUILD_DATE" .\n'), []);
  assert.deepEqual(network('FROM rust:1\nENV CARGO_NET_OFFLINE=true\nCOPY . .\nRUN cargo build --release\n'), []);
  assert.deepEqual(network('FROM golang:1.22\nCOPY . .\nRUN GOPROXY=off go build ./... && GOFLAGS="-mod=vendor -trimpath" go vet ./...\n'), []);
  // Only builds: a fetch step still fetches, and another variable changes nothing.
  assert.deepEqual(network('FROM golang:1.22\nENV GOFLAGS=-trimpath\nCOPY . .\nRUN GOFLAGS=-mod=vendor go mod download && go build ./...\n'), [
    'line 4: go mod download fetches from the module proxy',
  ]);
});

test('PowerShell downloads, Chocolatey, R packages and Playwright browsers are named', () => {
  // github.com/ARAftab/TestContainer Dockerfile (a pwsh SHELL).
  assert.deepEqual(whats('Invoke-WebRequest -OutFile nodejs.zip -UseBasicParsing "https://nodejs.org/dist/v$($env:NODE_VERSION)/node-v$($env:NODE_VERSION)-win-x64.zip";'), [
    'Invoke-WebRequest fetches https://nodejs.org/dist/v$(…)/node-v$(…)-win-x64.zip',
  ]);
  // github.com/mud5150/win-dns-tests Dockerfile (`# escape=\``), its RUN's last lines.
  assert.deepEqual(whats("powershell.exe -Command `\n    iex ((New-Object System.Net.WebClient).DownloadString('https://chocolatey.org/install.ps1')); `\n    choco install git golang -y"), [
    'choco install fetches from the Chocolatey community repository',
    'WebClient fetches https://chocolatey.org/install.ps1 and runs it with PowerShell (an install script, which downloads more)',
  ]);
  // github.com/TappyTappy/bios-611-project Dockerfile (FROM rocker/verse); a package file installed by path fetches nothing.
  assert.deepEqual(whats(`Rscript --no-restore --no-save -e "install.packages('ggplot2')"`), ["R's install.packages fetches packages from CRAN (or the repository it names)"]);
  assert.deepEqual(whats(`R CMD INSTALL pkg.tar.gz && Rscript -e "install.packages('/tmp/x.tar.gz', repos = NULL)"`), []);
  // AgentForge's Dockerfile (read_file id 21567900947); npx and python -m run the same command.
  const PLAYWRIGHT = "playwright install fetches from Playwright's CDN (the browsers)";
  assert.deepEqual(whats('playwright install chromium'), [PLAYWRIGHT]);
  assert.deepEqual(whats('npx --yes playwright install --with-deps chromium && python -m playwright install firefox'), [PLAYWRIGHT]);
});

test('pip: a URL or VCS requirement is fetched even with --no-index; an index URL is not a requirement, a find-links page is read', () => {
  assert.deepEqual(whats('pip install --no-cache-dir git+https://github.com/openai/CLIP.git'), [
    'pip installs git+https://github.com/openai/CLIP.git, which it fetches from there even with --no-index',
  ]);
  assert.deepEqual(whats('python3 -m pip install https://download.pytorch.org/whl/cpu/torch-2.1.0%2Bcpu-cp311-cp311-linux_x86_64.whl'), [
    'pip installs https://download.pytorch.org/whl/cpu/torch-2.1.0%2Bcpu-cp311-cp311-linux_x86_64.whl, which it fetches from there even with --no-index',
  ]);
  // --no-index (init's flags) turns the index off, not a find-links page: pip still reads it (an NVIDIA Triton image's Dockerfile).
  assert.deepEqual(whats('pip3 install pyg_lib torch_cluster torch_spline_conv torch_scatter torch_sparse -f https://data.pyg.org/whl/torch-2.7.0+cu128.html'), [
    'pip reads the find-links page https://data.pyg.org/whl/torch-2.7.0+cu128.html, even with --no-index',
  ]);
  assert.deepEqual(whats('pip install --find-links=https://u:tok@wheels.example.org/simple/ x'), ['pip reads the find-links page https://***@wheels.example.org/simple/, even with --no-index']);
  assert.deepEqual(whats('pip install --extra-index-url https://download.pytorch.org/whl/cpu torch -f /wheels'), []);
  assert.deepEqual(whats('pip install -r requirements.txt'), []);
});

test('ADD: each remote source, a repository told apart from a file', () => {
  assert.deepEqual(addNetworkUses('--chown=app https://example.org/model.bin /models/').map((u) => u.what), [
    "ADD https://example.org/model.bin is fetched by the builder on the daemon's network (--network=none does not stop it)",
  ]);
  assert.match(addNetworkUses('https://github.com/moby/buildkit.git#v0.10.1 /src')[0]!.instead, /put the repository in the build context/);
  assert.deepEqual(addNetworkUses('app.tar.gz /srv/'), []);
});

test('init docker: network uses of RUN and ADD are reported with their line; HEALTHCHECK and CMD are not build steps', () => {
  const r = makeOfflineReady(
    [
      'FROM debian:bookworm',
      'ADD https://example.org/tool.tar.gz /opt/',
      'RUN apt-get update && apt-get install -y curl \\',
      '  && curl -fsSL https://example.org/install.sh | sh',
      'HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1',
      'CMD ["curl", "https://example.org/"]',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    r.needsNetwork.map((n) => [n.line, n.what]),
    [
      [2, "ADD https://example.org/tool.tar.gz is fetched by the builder on the daemon's network (--network=none does not stop it)"],
      [3, 'curl fetches https://example.org/install.sh and runs it with sh (an install script, which downloads more)'],
    ],
  );
  assert.deepEqual(r.skipped, []);
  // The apt part of the step is still rewritten.
  assert.match(r.text, /if \[ -f \/offgrid\/apt-archives\/Packages \]/);
});

// Lines from public Dockerfiles (repository and path in each comment), as written there.
test('real lines: what each fetches, named by the command that fetches it', () => {
  // jupyter/docker-stacks docs/using/recipe_code/microsoft_odbc.dockerfile: a substitution inside the URL.
  assert.deepEqual(whats('curl "https://packages.microsoft.com/config/ubuntu/$(lsb_release -rs)/prod.list" > /etc/apt/sources.list.d/mssql-release.list'), [
    'curl fetches https://packages.microsoft.com/config/ubuntu/$(…)/prod.list',
  ]);
  // otusteamedu/PHP Dockerfile: composer's installer run by php.
  assert.deepEqual(whats('curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin --filename=composer'), [
    'curl fetches https://getcomposer.org/installer and runs it with php (an install script, which downloads more)',
  ]);
  // lchenn/docker-maven-multi-stage-builder Dockerfile: options with values before the goal.
  assert.deepEqual(whats('mvn --settings /usr/share/maven/ref/settings-docker.xml --file /tmp/pom.xml --batch-mode dependency:resolve-plugins'), [
    'mvn dependency:resolve-plugins fetches from its package registry',
  ]);
  // hasabir/inception Dockerfile: oh-my-zsh's installer, fetched in a substitution a shell runs.
  assert.deepEqual(whats('sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"'), [
    'curl fetches https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh and runs it with sh (an install script, which downloads more)',
  ]);
  // An elabeed Laravel image (Dockerfile), LucienVen/tech-crm, silicon-ninja/grpc-node-typescript-starter, canonical/base-2204-python38.
  assert.deepEqual(whats('pecl install redis && docker-php-ext-enable redis'), ['pecl install fetches from its package registry']);
  assert.deepEqual(whats('pecl install /tmp/redis-5.3.7.tgz'), []);
  assert.deepEqual(whats('corepack enable && corepack prepare pnpm@latest --activate'), ['corepack prepare fetches from the npm registry']);
  assert.deepEqual(whats('. "$NVM_DIR/nvm.sh" && nvm install ${NODE_VERSION}'), ['nvm install fetches from nodejs.org']);
  assert.deepEqual(whats('curl --output get-pip.py https://bootstrap.pypa.io/get-pip.py && python3.8 get-pip.py'), [
    'curl fetches https://bootstrap.pypa.io/get-pip.py',
    'get-pip.py fetches pip, setuptools and wheel from PyPI',
  ]);
  // A SageMaker image (wharflab/tally's RealWorld snapshot): a wheel URL given as a build arg.
  assert.deepEqual(whats('pip install --no-cache-dir -U ${SMD_MODEL_PARALLEL_URL}'), [
    'pip installs ${SMD_MODEL_PARALLEL_URL}, a URL given at build time, which it fetches from there even with --no-index',
  ]);
  // wharflab/tally PreferAddGitCombined snapshot: a repository named by ?ref=.
  assert.match(addNetworkUses('--link https://github.com/aws/aws-ofi-nccl.git?ref=v${BRANCH_OFI} /aws-ofi-nccl')[0]!.instead, /put the repository in the build context/);
});

test('options with values, wrappers and pipes: the program and the URL still found', () => {
  assert.deepEqual(whats('yarn --cwd frontend install'), ['yarn install fetches from its package registry']);
  assert.deepEqual(whats('npm --prefix client install'), ['npm install fetches from its package registry']);
  assert.deepEqual(whats('composer -d app install'), ['composer install fetches from its package registry']);
  assert.deepEqual(whats('git -C /src fetch origin'), ['git fetch fetches a repository']);
  assert.deepEqual(whats('go -C tools install golang.org/x/tools/gopls@v0.14.0'), ['go install fetches from the module proxy']);
  assert.deepEqual(whats('python3 -m pipx install poetry'), ['pipx install fetches from its package registry']);
  assert.deepEqual(whats('yarn global add parcel-bundler'), ['yarn global add fetches from its package registry']);
  assert.deepEqual(whats('wget -O $DEST $SRC_URL'), ['wget fetches $SRC_URL']);
  assert.deepEqual(whats('curl -fsSL "${BASE_URL}/tool.tgz" | tar xz'), ['curl fetches ${BASE_URL}/tool.tgz']);
  assert.deepEqual(whats('wget -q https://a.example/x.tgz https://b.example/y.tgz'), ['wget fetches https://a.example/x.tgz', 'wget fetches https://b.example/y.tgz']);
  assert.deepEqual(whats('curl -sSL https://example.com/key.asc | tee /etc/apt/trusted.gpg.d/x.asc'), ['curl fetches the signing key https://example.com/key.asc']);
  assert.deepEqual(whats('curl -sSL https://example.com/notes.txt | tee /srv/notes.txt'), ['curl fetches https://example.com/notes.txt']);
  // A server the step started itself, and npx (which fetches only what is not installed), are not reported.
  assert.deepEqual(whats('curl -fsS http://localhost:8080/health || true'), []);
  assert.deepEqual(whats('npx prisma generate'), []);
  assert.deepEqual(whats('echo "then curl https://example.com/x" > /notes.txt'), []);
  // Inside the shell's if and for: the keyword before the command is no program.
  assert.deepEqual(whats('if [ -n "$MODEL_URL" ]; then curl -fsSLo /m.bin "$MODEL_URL"; fi'), ['curl fetches $MODEL_URL']);
  assert.deepEqual(whats('for v in 1 2; do wget -q https://example.org/v$v.tgz; done'), ['wget fetches https://example.org/v$v.tgz']);
  assert.deepEqual(whats('if ! command -v uv; then curl -LsSf https://astral.sh/uv/install.sh | sh; fi'), ['curl fetches https://astral.sh/uv/install.sh and runs it with sh (an install script, which downloads more)']);
});

test("PHP: install-php-extensions fetches (system packages, PECL, @composer); docker-php-ext-install builds PHP's own sources", () => {
  // FrankenPHP app image (find_string id 6792582), line 2.
  assert.deepEqual(whats('install-php-extensions iconv pdo_mysql'), [
    "install-php-extensions fetches the extensions' system packages from the distribution's repositories, and PECL extensions (and @composer) from PECL, GitHub or getcomposer.org",
  ]);
  assert.deepEqual(whats('install-php-extensions gd xdebug @composer'), whats('install-php-extensions iconv pdo_mysql'));
  assert.deepEqual(whats('docker-php-ext-configure gd --with-freetype --with-jpeg && docker-php-ext-install pdo_mysql zip gd'), []);
  assert.deepEqual(whats('install-php-extensions --help'), []);
});

test('a variable set in quotes before the command (VAR="value" cmd): the command is still found, not the value', () => {
  // The end of a real RUN (a Rust image's apt step, find_string id 71355284634): before, the program read was "$RUSTUP_DIST_SERVER".
  assert.deepEqual(whats('rm -rf /var/lib/apt/lists/* \\\n    && RUSTUP_DIST_SERVER="$RUSTUP_DIST_SERVER" rustup component add rustfmt'), [
    'rustup component add fetches from the Rust distribution server',
  ]);
  assert.deepEqual(whats('NODE_OPTIONS="--max-old-space-size=4096" npm ci'), ['npm ci fetches from its package registry']);
  assert.deepEqual(whats("GIT_SSH_COMMAND='ssh -o StrictHostKeyChecking=no' git clone git@github.com:org/private.git"), ['git clone git@github.com:org/private.git fetches a repository']);
  // A quoted option value stays one word too; a quote that only ends in `=` is no assignment.
  assert.deepEqual(simpleCommands('go build -ldflags="-X main.Version=$VERSION" -v -o /j5 ./cmd/j5/')[0]!.words.slice(0, 3), ['go', 'build', '-ldflags=-X_main.Version=$VERSION']);
  assert.deepEqual(whats('grep -q "^name=" setup.cfg && curl -fsSLO https://example.org/a.tgz'), ['curl fetches https://example.org/a.tgz']);
});

test('what verify says the builder fetched: an ADD source by its step, a # syntax= frontend with what to do', () => {
  const record = (fields: Partial<DownloadRecord>): DownloadRecord => ({
    kind: 'file', name: null, version: null, filename: null, source: null, destination: null, size: null, sha256: null, cached: false,
    timestamp: '2026-12-02T00:00:00Z', duration_ms: null, tool: 'docker', service: 'api', step: null, evidence: 'log', index: false, cache_status: null, ...fields,
  });
  const add = record({ source: 'https://example.org/a.tgz', step: 'ADD https://example.org/a.tgz /a.tgz', cached: true });
  const frontend = record({ source: 'docker-image://docker.io/docker/dockerfile:1', name: 'docker.io/docker/dockerfile:1', index: true, step: 'resolve image config for docker.io/docker/dockerfile:1' });
  const wheel = record({ kind: 'wheel', tool: 'pip', source: 'https://files.example.org/x.whl', cached: true });
  const service = { records: [add, frontend, wheel] } as unknown as ServiceAnalysis;
  // A CACHED ADD still counts: the builder asks the server again.
  assert.deepEqual(builderFetches(service), [add, frontend]);
  assert.equal(describeBuilderFetch(add), 'step "ADD https://example.org/a.tgz /a.tgz" fetches https://example.org/a.tgz over the builder\'s own network, which --network=none does not cut off');
  assert.match(describeBuilderFetch(frontend), /^the builder looked up docker\.io\/docker\/dockerfile:1 on its registry over its own network, .*: remove the line to use the builder's own frontend/);
});

test('a # syntax= frontend the builder cannot look up: the failure says so, with what to do (output of Docker 20.10 here, no registry reachable)', () => {
  const lines = [
    '#3 resolve image config for docker.io/docker/dockerfile:1',
    '#3 ERROR: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
    '------',
    ' > resolve image config for docker.io/docker/dockerfile:1:',
    '------',
    'failed to solve with frontend dockerfile.v0: failed to solve with frontend gateway.v0: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
  ];
  assert.equal(
    pullFailureHint(lines, 'web'),
    "service web: the Dockerfile frontend docker.io/docker/dockerfile:1 that the Dockerfile's `# syntax=` line names could not be looked up on its registry: remove the line to build with the builder's own frontend, or make that registry reachable (BuildKit looks the frontend up on every build)",
  );
});

test('init docker: a # syntax= line still needs the network, named on its line', () => {
  const r = makeOfflineReady('# syntax=docker/dockerfile:1.4\nFROM debian:bookworm\nRUN <<EOF\napt-get update\nEOF\n');
  assert.deepEqual(r.needsNetwork.map((n) => [n.line, n.what]), [
    [1, "the `# syntax=docker/dockerfile:1.4` line makes BuildKit look this frontend up on its registry on every build, on the daemon's network"],
  ]);
  assert.match(r.needsNetwork[0]!.instead, /^remove the line to use the builder's own frontend \(since Docker 23/);
});

test('third sweep (BuildKit-era Dockerfiles): npm aliases, registrations, vcpkg, Leiningen, redirections, a Windows get-pip.py', () => {
  // zerocluster's node app image, inside a RUN <<EOF script: `npm install-clean` is `npm ci`.
  assert.deepEqual(whats('NODE_ENV=production npm install-clean'), ['npm install-clean fetches from its package registry']);
  assert.deepEqual(whats('npm ic --omit=dev && npm it'), ['npm ic fetches from its package registry', 'npm it fetches from its package registry']);
  // crunchtools/nagios-agent (UBI 10), an HPE SLES image, Canonical's Ubuntu Pro how-to: registrations behind a build secret.
  assert.deepEqual(whats('if [ -f /run/secrets/activation_key ]; then subscription-manager register --activationkey="$(cat /run/secrets/activation_key)" --org="$(cat /run/secrets/org_id)"; fi'), [
    "subscription-manager register fetches from Red Hat's subscription service",
  ]);
  assert.deepEqual(whats('subscription-manager unregister 2>/dev/null || true'), []);
  assert.deepEqual(whats('SUSEConnect -r "$(cat /run/secrets/SLES_REGISTRATION_CODE)"'), ['SUSEConnect registers with the SUSE Customer Center (or the registration server it names)']);
  assert.deepEqual(whats('zypper clean -a && SUSEConnect --cleanup'), []);
  assert.deepEqual(whats('ua attach --attach-config /run/secrets/ua-attach-config'), ["ua attach fetches from Canonical's contract server"]);
  // A Windows build-tools image: vcpkg fetches each port's sources; python.exe runs get-pip.py by a Windows path.
  assert.deepEqual(whats('vcpkg.exe install prometheus-cpp:x64-windows-static'), ["vcpkg install fetches from the ports' upstream sources"]);
  assert.deepEqual(whats('C:\\build\\import\\python27\\python.exe C:\\get-pip.py'), ['get-pip.py fetches pip, setuptools and wheel from PyPI']);
  // chinnonsantos/purchase-service: Leiningen tasks resolve the project's dependencies; a redirection is no task.
  assert.deepEqual(whats('lein deps &> /dev/null'), ['lein deps fetches from Maven Central and Clojars']);
  assert.deepEqual(whats('./lein &> /dev/null && lein -v && lein -o uberjar'), []);
  assert.deepEqual(whats('npm ci 2>&1 > /tmp/log'), ['npm ci fetches from its package registry']);
});
