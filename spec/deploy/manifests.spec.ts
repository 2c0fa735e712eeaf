import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { type IPodDisruptionBudget, PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { type ISecret, Secret } from 'kubernetes-models/v1/Secret';
import { type IService, Service } from 'kubernetes-models/v1/Service';
import { Project, ts } from 'ts-morph';
import { parseAllDocuments } from 'yaml';

// No cluster runs the manifests here, so everything a `kubectl apply` would refuse, and the invariants between the
// files that nothing in Kubernetes checks (a Service selecting no pod is valid), is checked against Kubernetes'
// schemas as the kubernetes-models package carries them.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const K8S_DIR = path.join(ROOT, 'deploy/k8s');
const DOCKERFILE = path.join(ROOT, 'deploy/Dockerfile');
const KUSTOMIZATION = 'kustomization.yaml';

/** One object of one YAML file. */
interface Manifest {
  readonly file: string;
  readonly index: number;
  readonly object: Record<string, unknown>;
}

const label = (m: Pick<Manifest, 'file' | 'index'>): string => `${m.file}#${m.index}`;

/**
 * The kinds deploy/k8s may hold. `validate` is the JSON Schema check (types, enums, required fields, formats); the
 * schemas allow unknown fields, so the strict check assigns the object to the model's TypeScript interface as a
 * literal, whose excess-property check refuses a field that does not exist at any depth.
 */
const MODELS: Readonly<Record<string, { readonly validate: (data: unknown) => void; readonly module: string; readonly type: string }>> = {
  'apps/v1 Deployment': {
    validate: (d) => new Deployment(d as ConstructorParameters<typeof Deployment>[0]).validate(),
    module: 'kubernetes-models/apps/v1/Deployment',
    type: 'IDeployment',
  },
  'v1 Service': {
    validate: (d) => new Service(d as ConstructorParameters<typeof Service>[0]).validate(),
    module: 'kubernetes-models/v1/Service',
    type: 'IService',
  },
  'v1 Secret': {
    validate: (d) => new Secret(d as ConstructorParameters<typeof Secret>[0]).validate(),
    module: 'kubernetes-models/v1/Secret',
    type: 'ISecret',
  },
  'autoscaling/v2 HorizontalPodAutoscaler': {
    validate: (d) => new HorizontalPodAutoscaler(d as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]).validate(),
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'policy/v1 PodDisruptionBudget': {
    validate: (d) => new PodDisruptionBudget(d as ConstructorParameters<typeof PodDisruptionBudget>[0]).validate(),
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
};

const modelKey = (object: Record<string, unknown>): string => `${String(object['apiVersion'])} ${String(object['kind'])}`;

/**
 * YAML 1.1, as Kubernetes' own parser reads it: `on`, `yes` or `0755` mean there what they meant in 1.1, and a
 * check with 1.2 semantics would validate different values from the ones the cluster gets.
 */
function parseYaml(file: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { version: '1.1', uniqueKeys: true, prettyErrors: true });
  assert.ok(Array.isArray(docs), `${file}: not a YAML stream`);
  const objects: Record<string, unknown>[] = [];
  for (const doc of docs) {
    assert.deepEqual([...doc.errors, ...doc.warnings].map((e) => e.message), [], `${file}: YAML errors`);
    const value: unknown = doc.toJS();
    if (value === null) continue;
    assert.ok(typeof value === 'object' && !Array.isArray(value), `${file}: a document that is not a mapping`);
    objects.push(value as Record<string, unknown>);
  }
  return objects;
}

/**
 * The TypeScript errors of assigning each object, as a literal, to its model's interface: one program for all of
 * them, one source file each, so that an error names its object. TypeScript reports one error per assignment, the
 * first it finds: enough to fail, and fixed one at a time.
 */
function strictFieldErrors(objects: readonly { readonly name: string; readonly object: Record<string, unknown> }[]): Map<string, string[]> {
  const project = new Project({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipLibCheck: true,
    },
    skipAddingFilesFromTsConfig: true,
  });
  // Under the package, so that kubernetes-models resolves from its node_modules; in memory only, never written.
  const files = objects.map(({ name, object }, i) => {
    const model = MODELS[modelKey(object)];
    assert.ok(model !== undefined, `${name}: no model for ${modelKey(object)}`);
    const text = `import type { ${model.type} as Model } from '${model.module}';\nexport const manifest: Model = ${JSON.stringify(object, null, 2)};\n`;
    return { name, file: project.createSourceFile(path.join(ROOT, 'spec/deploy', `__manifest_${i}.ts`), text) };
  });
  const program = project.getProgram().compilerObject;
  const errors = new Map<string, string[]>();
  for (const { name, file } of files) {
    const diagnostics = [...program.getSyntacticDiagnostics(file.compilerNode), ...program.getSemanticDiagnostics(file.compilerNode)];
    const at = (d: ts.Diagnostic): string => {
      if (d.start === undefined) return '';
      const { line } = file.compilerNode.getLineAndCharacterOfPosition(d.start);
      return ` (at ${file.getFullText().split('\n')[line]?.trim() ?? ''})`;
    };
    errors.set(name, diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ') + at(d)));
  }
  return errors;
}

/** The first error `validate()` throws, or undefined when the object passes. */
function schemaError(object: Record<string, unknown>): string | undefined {
  const model = MODELS[modelKey(object)];
  if (model === undefined) return `no model for ${modelKey(object)}`;
  try {
    model.validate(object);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function defined<T>(value: T | undefined | null, what: string): T {
  assert.ok(value !== undefined && value !== null, `${what} is missing`);
  return value;
}

/** A CPU quantity in cores: "2", "1.5" or "500m". */
function cpuCores(quantity: string | number | undefined): number {
  if (typeof quantity === 'number') return quantity;
  const q = defined(quantity, 'a CPU quantity');
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  assert.ok(m !== null, `unexpected CPU quantity ${q}`);
  return Number(m[1]) / (m[2] === 'm' ? 1000 : 1);
}

/** The options of `rltask serve`; a flag outside this list would make the server exit at start. */
const SERVE_VALUE_OPTIONS = ['--host', '--port', '--tasks', '--concurrency', '--queue', '--max-sessions', '--max-steps', '--idle-seconds', '--max-body', '--drain-seconds'];
const SERVE_FLAGS = ['--no-auth'];

function serveOptions(args: readonly string[]): Map<string, string | true> {
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (SERVE_FLAGS.includes(arg)) {
      options.set(arg, true);
    } else {
      assert.ok(SERVE_VALUE_OPTIONS.includes(arg), `unknown serve option ${arg}`);
      const value = args[++i];
      assert.ok(value !== undefined && !value.startsWith('--'), `${arg} needs a value`);
      assert.ok(!options.has(arg), `${arg} given twice`);
      options.set(arg, value);
    }
  }
  return options;
}

function numberOption(options: Map<string, string | true>, name: string): number {
  const value = options.get(name);
  assert.ok(typeof value === 'string' && /^\d+$/.test(value), `${name} must be given as an integer`);
  return Number(value);
}

/** Whether every label a selector asks for is on the pods. */
function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  const wanted = Object.entries(defined(selector, 'a selector'));
  return wanted.length > 0 && wanted.every(([k, v]) => labels[k] === v);
}

const yamlFiles = (): string[] =>
  readdirSync(K8S_DIR)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();

describe('deploy/k8s', () => {
  let manifests: Manifest[] = [];
  let fieldErrors = new Map<string, string[]>();
  /** Each a copy of the Deployment with one wrong field, which the checks must refuse. */
  const mutants: { readonly name: string; readonly mutate: (d: IDeployment) => void }[] = [
    { name: 'a misspelt Deployment spec field', mutate: (d) => Object.assign(defined(d.spec, 'spec'), { replica: 2 }) },
    { name: 'a misspelt container field', mutate: (d) => Object.assign(d.spec!.template.spec!.containers[0]!, { readinesProbe: {} }) },
    { name: 'a misspelt probe field', mutate: (d) => Object.assign(d.spec!.template.spec!.containers[0]!.livenessProbe!, { httpget: {} }) },
    { name: 'a container field at the pod level', mutate: (d) => Object.assign(d.spec!.template.spec!, { image: 'rltask:0.1.0' }) },
    { name: 'a seccomp profile type that does not exist', mutate: (d) => Object.assign(d.spec!.template.spec!.securityContext!, { seccompProfile: { type: 'Unconfinded' } }) },
    { name: 'a port as a word', mutate: (d) => Object.assign(d.spec!.template.spec!.containers[0]!.ports![0]!, { containerPort: 'eighty' }) },
  ];
  let mutantErrors = new Map<string, string | undefined>();

  before(() => {
    manifests = yamlFiles()
      .filter((f) => f !== KUSTOMIZATION)
      .flatMap((file) => parseYaml(path.join(K8S_DIR, file)).map((object, index) => ({ file, index, object })));
    const deployment = manifests.find((m) => m.object['kind'] === 'Deployment');
    const broken = mutants.map(({ name, mutate }) => {
      const copy = structuredClone(defined(deployment, 'the Deployment').object) as unknown as IDeployment;
      mutate(copy);
      return { name, object: copy as unknown as Record<string, unknown> };
    });
    const all = strictFieldErrors([...manifests.map((m) => ({ name: label(m), object: m.object })), ...broken]);
    fieldErrors = all;
    mutantErrors = new Map(broken.map(({ name, object }) => [name, schemaError(object) ?? all.get(name)?.[0]]));
  });

  const find = <T>(kind: string): T => {
    const found = manifests.filter((m) => m.object['kind'] === kind);
    assert.equal(found.length, 1, `exactly one ${kind}`);
    return found[0]!.object as unknown as T;
  };

  it('holds one Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget and Secret, each in its kustomization', () => {
    assert.deepEqual(manifests.map((m) => String(m.object['kind'])).sort(), ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service']);
    const kustomization = parseYaml(path.join(K8S_DIR, KUSTOMIZATION));
    assert.equal(kustomization.length, 1);
    const k = kustomization[0]!;
    assert.equal(k['apiVersion'], 'kustomize.config.k8s.io/v1beta1');
    assert.equal(k['kind'], 'Kustomization');
    // A key kustomize does not know is an error of `kubectl apply -k`: only these are used here.
    assert.deepEqual(Object.keys(k).filter((key) => !['apiVersion', 'kind', 'resources', 'images'].includes(key)), []);
    const resources = k['resources'];
    assert.ok(Array.isArray(resources));
    assert.deepEqual([...resources].sort(), yamlFiles().filter((f) => f !== KUSTOMIZATION));
    // The image override must name the Deployment's image, or it silently changes nothing.
    const images = k['images'];
    assert.ok(Array.isArray(images) && images.length === 1);
    const image = images[0] as Record<string, unknown>;
    const container = defined(find<IDeployment>('Deployment').spec?.template.spec?.containers[0], 'the container');
    assert.equal(image['name'], defined(container.image, 'the image').replace(/:[^/:]+$/, ''));
    assert.equal(typeof image['newName'], 'string');
    assert.equal(typeof image['newTag'], 'string');
  });

  it("every object passes its Kubernetes schema (kubernetes-models' validate())", () => {
    for (const m of manifests) assert.equal(schemaError(m.object), undefined, label(m));
  });

  it('no object has a field its Kubernetes type does not have, at any depth', () => {
    for (const m of manifests) assert.deepEqual(fieldErrors.get(label(m)), [], label(m));
  });

  it('the checks refuse a Deployment with a wrong field', () => {
    for (const { name } of mutants) assert.ok(mutantErrors.get(name) !== undefined, `${name} was accepted`);
  });

  describe('the Deployment', () => {
    const deployment = (): IDeployment => find<IDeployment>('Deployment');
    const pod = () => defined(deployment().spec?.template.spec, 'the pod spec');
    const container = () => {
      const containers = pod().containers;
      assert.equal(containers.length, 1);
      return containers[0]!;
    };
    const options = () => serveOptions(defined(container().args, 'the container args'));

    it('selects its own pods and leaves the replica count to the autoscaler', () => {
      const d = deployment();
      const labels = defined(d.spec?.template.metadata?.labels, 'the pod labels');
      assert.ok(selects(d.spec?.selector.matchLabels, labels));
      assert.equal(d.spec?.replicas, undefined);
    });

    it('runs serve on all interfaces, on its container port, with authentication', () => {
      const o = options();
      assert.equal(o.get('--host'), '0.0.0.0');
      assert.equal(o.has('--no-auth'), false);
      const ports = defined(container().ports, 'the ports');
      assert.equal(ports.length, 1);
      assert.equal(ports[0]!.containerPort, numberOption(o, '--port'));
    });

    it('asks for as many CPUs as submissions it grades at once (--concurrency), with the limit equal', () => {
      const concurrency = numberOption(options(), '--concurrency');
      const resources = defined(container().resources, 'the resources');
      assert.equal(cpuCores(resources.requests?.['cpu']), concurrency);
      assert.equal(cpuCores(resources.limits?.['cpu']), concurrency);
      assert.equal(String(defined(resources.requests?.['memory'], 'the memory request')), String(resources.limits?.['memory']));
    });

    it('gives a drain more time than --drain-seconds plus the preStop pause before SIGKILL', () => {
      const drain = numberOption(options(), '--drain-seconds');
      const command = container().lifecycle?.preStop?.exec?.command ?? [];
      const pause = command[0] === 'sleep' ? Number(command[1]) : 0;
      assert.ok(Number.isFinite(pause));
      const grace = defined(pod().terminationGracePeriodSeconds, 'terminationGracePeriodSeconds');
      assert.ok(grace > drain + pause, `terminationGracePeriodSeconds ${grace} must exceed ${drain} + ${pause}`);
    });

    it('probes readiness at /readyz and liveness at /healthz, on the container port', () => {
      const c = container();
      const port = defined(c.ports?.[0], 'the port');
      const targets = (p: string | number): boolean => p === port.containerPort || p === port.name;
      const readiness = defined(c.readinessProbe?.httpGet, 'the readiness probe');
      const liveness = defined(c.livenessProbe?.httpGet, 'the liveness probe');
      assert.equal(readiness.path, '/readyz');
      assert.equal(liveness.path, '/healthz');
      assert.ok(targets(readiness.port) && targets(liveness.port));
      assert.ok((readiness.scheme ?? 'HTTP') === 'HTTP' && (liveness.scheme ?? 'HTTP') === 'HTTP');
    });

    it('takes the API token from the Secret', () => {
      const env = defined(container().env, 'the env').filter((e) => e.name === 'RLTASK_API_TOKEN');
      assert.equal(env.length, 1);
      assert.equal(env[0]!.value, undefined);
      const ref = defined(env[0]!.valueFrom?.secretKeyRef, 'the secretKeyRef');
      const secret = find<ISecret>('Secret');
      assert.equal(ref.name, secret.metadata?.name);
      assert.ok(Object.keys({ ...secret.data, ...secret.stringData }).includes(ref.key), `the Secret has no key ${ref.key}`);
      assert.notEqual(ref.optional, true);
    });

    it('has the privileges the sandbox layers need and no other (docs/deploy.md)', () => {
      const p = pod();
      const sc = defined(container().securityContext, 'the container securityContext');
      // Root in a user namespace of its own: unshare and the switch to uid 65534 need root, the node does not see it.
      assert.equal(sc.runAsUser, 0);
      assert.equal(p.hostUsers, false);
      assert.deepEqual(sc.capabilities?.drop, ['ALL']);
      // Spelt as Kubernetes spells them: a CAP_ prefix would slip past the API's check of SYS_ADMIN.
      assert.deepEqual([...(sc.capabilities?.add ?? [])].sort(), ['KILL', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN']);
      assert.notEqual(sc.privileged, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      // The runtime's default seccomp profile, which allows unshare(2) with SYS_ADMIN: never Unconfined.
      const seccomp = sc.seccompProfile ?? p.securityContext?.seccompProfile;
      assert.equal(seccomp?.type, 'RuntimeDefault');
      assert.equal(p.automountServiceAccountToken, false);
      // bubblewrap (Python tasks) mounts the child's filesystem and a fresh /proc.
      assert.equal(sc.appArmorProfile?.type, 'Unconfined');
      assert.equal(sc.procMount, 'Unmasked');
      assert.ok(p.hostNetwork !== true && p.hostPID !== true && p.hostIPC !== true);
    });

    it('has a read-only root filesystem and a writable TMPDIR', () => {
      const c = container();
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
      const tmpdir = defined(c.env?.find((e) => e.name === 'TMPDIR')?.value, 'TMPDIR');
      const mount = defined(c.volumeMounts?.find((v) => v.mountPath === tmpdir), `a volume at ${tmpdir}`);
      assert.notEqual(mount.readOnly, true);
      assert.ok(pod().volumes?.some((v) => v.name === mount.name && v.emptyDir !== undefined));
    });
  });

  it('the Service sends its port to the pods of the Deployment', () => {
    const service = find<IService>('Service');
    const deployment = find<IDeployment>('Deployment');
    const labels = defined(deployment.spec?.template.metadata?.labels, 'the pod labels');
    assert.ok(selects(service.spec?.selector, labels), 'the Service selects no pod of the Deployment');
    const container = defined(deployment.spec?.template.spec?.containers[0], 'the container');
    const port = defined(container.ports?.[0], 'the container port');
    const ports = defined(service.spec?.ports, 'the Service ports');
    assert.ok(ports.length > 0);
    for (const p of ports) assert.ok(p.targetPort === port.name || p.targetPort === port.containerPort, `targetPort ${String(p.targetPort)}`);
  });

  it('the HorizontalPodAutoscaler scales the Deployment on CPU', () => {
    const hpa = find<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    const deployment = find<IDeployment>('Deployment');
    const spec = defined(hpa.spec, 'the HPA spec');
    assert.deepEqual(spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata?.name });
    const metrics = defined(spec.metrics, 'the metrics');
    assert.ok(metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization'));
    assert.ok(defined(spec.minReplicas, 'minReplicas') <= spec.maxReplicas);
  });

  it('the PodDisruptionBudget covers the Deployment and can always let a pod go', () => {
    const pdb = find<IPodDisruptionBudget>('PodDisruptionBudget');
    const deployment = find<IDeployment>('Deployment');
    const labels = defined(deployment.spec?.template.metadata?.labels, 'the pod labels');
    const spec = defined(pdb.spec, 'the PDB spec');
    assert.equal(spec.selector?.matchExpressions, undefined);
    assert.ok(selects(spec.selector?.matchLabels, labels), 'the PodDisruptionBudget selects no pod of the Deployment');
    // With minAvailable at or above the autoscaler's floor a node drain would wait forever.
    const minReplicas = defined(find<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler').spec?.minReplicas, 'minReplicas');
    if (spec.minAvailable !== undefined) assert.ok(typeof spec.minAvailable === 'number' && spec.minAvailable < minReplicas);
    else assert.ok(typeof spec.maxUnavailable === 'number' && spec.maxUnavailable >= 1 && spec.maxUnavailable < minReplicas);
  });
});

/** A Dockerfile's instructions, continuation lines joined and comments dropped, with the stage each belongs to. */
function dockerInstructions(text: string): { readonly stage: string; readonly keyword: string; readonly args: string }[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  let stage = '';
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? '';
    return { stage, keyword: keyword.toUpperCase(), args };
  });
}

describe('deploy/Dockerfile (its structure: no daemon here to build it)', () => {
  const instructions = dockerInstructions(readFileSync(DOCKERFILE, 'utf8'));
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
  const inStage = (stage: string, keyword: string) => instructions.filter((i) => i.stage === stage && i.keyword === keyword).map((i) => i.args);
  const runtimeStage = (): string => {
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    return froms[froms.length - 1]!.stage;
  };

  it('has a build stage and a runtime stage, on the same Node image', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    assert.deepEqual(
      froms.map((f) => /\bAS\s+(\S+)$/i.exec(f)?.[1]),
      ['build', 'runtime'],
    );
    // The V8 code caches in dist/ are only valid for the V8 that recorded them.
    const images = new Set(froms.map((f) => f.replace(/\s+AS\s+\S+$/i, '')));
    assert.equal(images.size, 1);
    assert.equal(runtimeStage(), 'runtime');
  });

  it('builds dist/ with all dependencies and installs only production ones into the image', () => {
    const build = inStage('build', 'RUN').join('\n');
    assert.match(build, /\bnpm ci\b/);
    assert.match(build, /\bnpm run build\b/);
    const runtime = inStage('runtime', 'RUN').join('\n');
    assert.match(runtime, /\bnpm ci\b[^\n&]*--omit=dev/);
    assert.ok(inStage('runtime', 'COPY').some((c) => /^--from=build\s+\/app\/dist\s/.test(c)), 'dist/ comes from the build stage');
  });

  it('installs bubblewrap, python3 and numpy, and runs as a non-root user by default', () => {
    const apt = inStage('runtime', 'RUN').find((r) => /apt-get install/.test(r));
    const packages = defined(apt, 'apt-get install').split(/\s+/);
    for (const p of ['bubblewrap', 'python3', 'python3-numpy']) assert.ok(packages.includes(p), p);
    const users = inStage('runtime', 'USER');
    assert.ok(users.length > 0);
    const user = users[users.length - 1]!.split(':')[0]!;
    assert.ok(!['root', '0'].includes(user), `USER ${user}`);
  });

  it('starts `rltask serve` through the package bin, listening on all interfaces', () => {
    const entrypoint = JSON.parse(inStage('runtime', 'ENTRYPOINT').at(-1) ?? 'null') as unknown;
    assert.ok(Array.isArray(entrypoint));
    assert.deepEqual(entrypoint.slice(-3), ['node', pkg.bin['rltask'], 'serve']);
    const cmd = JSON.parse(inStage('runtime', 'CMD').at(-1) ?? 'null') as unknown;
    assert.ok(Array.isArray(cmd));
    const options = serveOptions(cmd as string[]);
    assert.equal(options.get('--host'), '0.0.0.0');
    assert.deepEqual(inStage('runtime', 'EXPOSE'), [String(options.get('--port'))]);
  });

  it('copies into the image files that exist and that the build context keeps', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    // The build stage needs the sources, the runtime stage what the built CLI reads.
    for (const needed of ['package.json', 'package-lock.json', 'src', 'properties', 'scripts', 'tasks', 'bin']) {
      assert.ok(existsSync(path.join(ROOT, needed)), needed);
      assert.ok(!ignored.includes(needed), `.dockerignore drops ${needed}`);
    }
    // Host-installed or host-built trees never enter the image.
    for (const excluded of ['.git', '**/node_modules', 'dist']) assert.ok(ignored.includes(excluded), `.dockerignore keeps ${excluded}`);
    for (const copy of inStage('runtime', 'COPY').filter((c) => !c.startsWith('--from='))) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const source of sources) assert.ok(existsSync(path.join(ROOT, source)), `COPY ${source}`);
    }
    assert.ok(existsSync(path.join(ROOT, defined(pkg.bin['rltask'], 'the rltask bin'))));
  });
});
