// Offline validation of the cluster delivery: every YAML file parses, every Kubernetes resource
// passes its schema (kubernetes-models for core, Knative, Argo CD and Strimzi; the strict JSON
// schemas in tests/schemas for KafkaSource, KafkaSink and ImageUpdater), and the pieces agree with
// each other and with the code: sinks, topics, consumer group, the functions' env schemas, image
// names, the Dockerfile's targets and the workflows. Needs no cluster, no Docker and no network;
// `kubectl kustomize` is used when kubectl is installed.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1'
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1'
import { PingSource } from '@kubernetes-models/knative/sources.knative.dev/v1'
import {
  Kafka,
  KafkaNodePool,
  KafkaTopic,
} from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1'
import { Ajv } from 'ajv'
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1'
import { Job } from 'kubernetes-models/batch/v1'
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import type { z } from 'zod'

const root = resolve(import.meta.dirname, '../..')
const MANIFEST_DIRS = ['knative', 'strimzi', 'db/k8s', 'gitops']
const YAML_DIRS = [...MANIFEST_DIRS, '.github']
const KUSTOMIZATION = 'kustomization.yaml'

type Obj = Record<string, unknown>

interface Meta {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

interface Resource {
  apiVersion: string
  kind: string
  metadata: Meta
  spec?: Obj
  data?: Record<string, string>
  stringData?: Record<string, string>
}

interface Manifest {
  file: string
  resource: Resource
}

interface EnvVar {
  name: string
  value?: string
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean }
    secretKeyRef?: { name: string; key: string; optional?: boolean }
  }
}

interface EnvFrom {
  configMapRef?: { name: string; optional?: boolean }
  secretRef?: { name: string; optional?: boolean }
}

interface Container {
  name: string
  image: string
  env?: EnvVar[]
  envFrom?: EnvFrom[]
  readinessProbe?: { httpGet?: { path: string } }
  livenessProbe?: { httpGet?: { path: string } }
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: Obj
}

interface PodTemplate {
  metadata?: { annotations?: Record<string, string> }
  spec: { containers: Container[]; containerConcurrency?: number; timeoutSeconds?: number }
}

interface Ref {
  apiVersion?: string
  kind: string
  name: string
  namespace?: string
}

interface KafkaSourceSpec {
  consumerGroup?: string
  bootstrapServers: string[]
  topics: string[]
  ordering?: string
  consumers?: number
  delivery?: {
    retry?: number
    backoffPolicy?: string
    backoffDelay?: string
    timeout?: string
    deadLetterSink?: { ref?: Ref }
  }
  sink: { ref?: Ref }
}

interface ApplicationSpec {
  source: {
    repoURL: string
    path?: string
    chart?: string
    targetRevision: string
    kustomize?: { patches?: { target?: { labelSelector?: string }; patch?: string }[] }
  }
  syncPolicy?: { syncOptions?: string[] }
}

interface Kustomization {
  resources?: string[]
  patches?: { path?: string }[]
  images?: { name: string; newName?: string; newTag?: string }[]
}

function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) {
    return []
  }
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) {
      return walk(full, keep)
    }
    return keep(full) ? [full] : []
  })
}

const isYaml = (file: string) => /\.ya?ml$/.test(file)
const rel = (file: string) => relative(root, file)

function parseYaml(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) {
      throw new Error(`${rel(file)}: ${doc.errors.map((error) => error.message).join('; ')}`)
    }
    return doc.toJS() as unknown
  })
}

const yamlFiles = YAML_DIRS.flatMap((dir) => walk(join(root, dir), isYaml)).sort()
const manifestFiles = yamlFiles.filter((file) =>
  MANIFEST_DIRS.some((dir) => rel(file).startsWith(`${dir}/`))
)
const kustomizationFiles = manifestFiles.filter((file) => file.endsWith(`/${KUSTOMIZATION}`))

function readKustomization(dir: string): Kustomization {
  return parseYaml(join(dir, KUSTOMIZATION))[0] as Kustomization
}

/** Files kustomizations use as patches: partial objects of upstream resources, not our own. */
const patchFiles = new Set(
  kustomizationFiles.flatMap((file) =>
    (readKustomization(dirname(file)).patches ?? []).flatMap((patch) =>
      patch.path ? [join(dirname(file), patch.path)] : []
    )
  )
)

const manifests: Manifest[] = manifestFiles
  .filter((file) => !file.endsWith(`/${KUSTOMIZATION}`))
  .flatMap((file) => parseYaml(file).map((doc) => ({ file, resource: doc as Resource })))
const ownManifests = manifests.filter(({ file }) => !patchFiles.has(file))

const ofKind = (kind: string, apiGroup?: string) =>
  ownManifests
    .map(({ resource }) => resource)
    .filter(
      (resource) =>
        resource.kind === kind &&
        (apiGroup === undefined || resource.apiVersion.startsWith(apiGroup))
    )

const knativeServices = ofKind('Service', 'serving.knative.dev/')
const kafkaSources = ofKind('KafkaSource')
const kafkaTopics = ofKind('KafkaTopic')
const applications = ofKind('Application')
const configMaps = ofKind('ConfigMap', 'v1')
const secrets = ofKind('Secret', 'v1')

type Model = new (data: Obj) => { validate(): void }
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/Namespace': Namespace,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'serving.knative.dev/v1/Service': KnativeService,
  'sources.knative.dev/v1/PingSource': PingSource,
  'argoproj.io/v1alpha1/Application': Application as unknown as Model,
  'kafka.strimzi.io/v1/Kafka': Kafka as unknown as Model,
  'kafka.strimzi.io/v1/KafkaNodePool': KafkaNodePool as unknown as Model,
  'kafka.strimzi.io/v1/KafkaTopic': KafkaTopic as unknown as Model,
}

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false })
const schemaFile = (name: string) =>
  JSON.parse(readFileSync(join(root, 'tests/schemas', name), 'utf8')) as Obj
const JSON_SCHEMAS = {
  'sources.knative.dev/v1/KafkaSource': ajv.compile(schemaFile('kafkasource_v1.json')),
  'eventing.knative.dev/v1alpha1/KafkaSink': ajv.compile(schemaFile('kafkasink_v1alpha1.json')),
  'argocd-image-updater.argoproj.io/v1alpha1/ImageUpdater': ajv.compile(
    schemaFile('imageupdater_v1alpha1.json')
  ),
}

/** Throws with the schema's complaint when the resource does not validate. */
function validateResource(resource: Resource): void {
  const key = `${resource.apiVersion}/${resource.kind}`
  const model = MODELS[key]
  if (model) {
    new model(resource as unknown as Obj).validate()
    return
  }
  const validate = JSON_SCHEMAS[key as keyof typeof JSON_SCHEMAS]
  if (!validate) {
    throw new Error(`no schema for ${key}: add a kubernetes-models class or a JSON schema`)
  }
  if (!validate(resource)) {
    throw new Error(ajv.errorsText(validate.errors))
  }
}

function findByName<T extends Resource>(list: T[], name: string, namespace?: string): T {
  const found = list.find(
    (item) =>
      item.metadata.name === name &&
      (namespace === undefined || item.metadata.namespace === namespace)
  )
  if (!found) {
    throw new Error(`${name} not found${namespace ? ` in namespace ${namespace}` : ''}`)
  }
  return found
}

const podTemplate = (resource: Resource) => (resource.spec as { template: PodTemplate }).template
const topicName = (topic: Resource) =>
  (topic.spec as { topicName?: string }).topicName ?? topic.metadata.name
const topicNames = kafkaTopics.map(topicName)
const sourceSpec = (source: Resource) => source.spec as unknown as KafkaSourceSpec
const appSpec = (app: Resource) => app.spec as unknown as ApplicationSpec
const wave = (resource: Resource) =>
  Number(resource.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0')

function secretOrConfigMapData(resource: Resource): Record<string, string> {
  return { ...resource.data, ...resource.stringData }
}

/**
 * The environment a container gets from the manifests: literal values, keys of ConfigMaps and
 * Secrets in the repository (by reference or envFrom). `unknownSources` lists optional envFrom
 * sources that are created out of band (their keys cannot be seen here).
 */
function containerEnv(
  container: Container,
  namespace: string,
  maps: Resource[],
  secretList: Resource[]
): { env: Record<string, string>; unknownSources: string[] } {
  const env: Record<string, string> = {}
  const unknownSources: string[] = []
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef
    if (!ref) {
      continue
    }
    const list = from.configMapRef ? maps : secretList
    const found = list.find(
      (item) => item.metadata.name === ref.name && item.metadata.namespace === namespace
    )
    if (!found) {
      if (!ref.optional) {
        throw new Error(`envFrom ${ref.name} is not in the repository and not optional`)
      }
      unknownSources.push(ref.name)
      continue
    }
    Object.assign(env, secretOrConfigMapData(found))
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef
    if (ref) {
      const list = variable.valueFrom?.configMapKeyRef ? maps : secretList
      const value = secretOrConfigMapData(findByName(list, ref.name, namespace))[ref.key]
      if (value === undefined) {
        throw new Error(`${variable.name}: ${ref.name} has no key ${ref.key}`)
      }
      env[variable.name] = value
    } else {
      env[variable.name] = variable.value ?? ''
    }
  }
  return { env, unknownSources }
}

/** Problems between a function's env schema and the environment its Service provides. */
function envProblems(
  schema: z.ZodObject,
  env: Record<string, string>,
  unknownSources: string[]
): string[] {
  const problems: string[] = []
  const known = Object.keys(schema.shape)
  for (const key of known) {
    const required = !(schema.shape[key] as z.ZodType).safeParse(undefined).success
    if (required && !(key in env)) {
      problems.push(`required ${key} is not provided`)
    }
  }
  for (const key of Object.keys(env)) {
    if (!known.includes(key)) {
      problems.push(`${key} is set but the schema does not know it`)
    }
  }
  if ('PORT' in env) {
    problems.push('PORT is reserved: Knative sets it')
  }
  if (problems.length === 0 && unknownSources.length === 0) {
    const parsed = schema.safeParse(env)
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
    }
  }
  return problems
}

/** Names of the bundles `npm run build` writes (scripts/build.ts: functions with index.ts). */
function builtBundles(): string[] {
  const buildScript = readFileSync(join(root, 'scripts/build.ts'), 'utf8')
  expect(buildScript).toContain("outExtension: { '.js': '.mjs' }")
  expect(buildScript).toMatch(/entryPoints\.migrate = /)
  const functions = readdirSync(join(root, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .filter((entry) => existsSync(join(root, 'functions', entry.name, 'index.ts')))
    .map((entry) => entry.name)
  return [...functions, 'migrate'].sort()
}

const EXPECTED_FUNCTIONS = ['dashboard', 'processor', 'producer', 'sweeper']

interface DockerStage {
  name: string
  from: string
  lines: string[]
}

function dockerStages(): DockerStage[] {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ')
  const stages: DockerStage[] = []
  for (const line of text.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+(\S+)\s+AS\s+(\S+)$/i.exec(line)
    if (from) {
      stages.push({ name: from[2]!, from: from[1]!, lines: [] })
    } else if (line && !line.startsWith('#')) {
      stages.at(-1)?.lines.push(line)
    }
  }
  return stages
}

function readWorkflow(name: string): Obj {
  return parseYaml(join(root, '.github/workflows', name))[0] as Obj
}

interface WorkflowJob {
  permissions?: Record<string, string>
  strategy?: { matrix?: { image?: string[] } }
  env?: Record<string, string>
  services?: Record<string, { image: string; options?: string }>
  steps: { uses?: string; run?: string; name?: string; with?: Record<string, string> }[]
}
const workflowJobs = (workflow: Obj) => workflow.jobs as Record<string, WorkflowJob>
const imagesMatrix = () =>
  workflowJobs(readWorkflow('images.yml')).build!.strategy!.matrix!.image!.slice().sort()

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('cluster manifests parse and validate', () => {
  it('finds the manifests', () => {
    expect(manifests.length).toBeGreaterThan(30)
    expect(yamlFiles.some((file) => rel(file).startsWith('.github/workflows/'))).toBe(true)
  })

  it.each(yamlFiles.map(rel))('%s parses as YAML', (file) => {
    expect(parseYaml(join(root, file)).length).toBeGreaterThan(0)
  })

  it.each(manifests.map(({ file, resource }) => [rel(file), resource] as const))(
    '%s passes schema validation',
    (_file, resource) => {
      expect(() => validateResource(resource)).not.toThrow()
    }
  )

  it('holds one resource per file, named with an apply-order prefix and listed in its kustomization', () => {
    const problems: string[] = []
    for (const file of manifestFiles.filter((f) => !f.endsWith(`/${KUSTOMIZATION}`))) {
      if (parseYaml(file).length !== 1) {
        problems.push(`${rel(file)}: more than one document`)
      }
      if (!/^\d{3}-[a-z0-9-]+\.yaml$/.test(file.split('/').at(-1)!)) {
        problems.push(`${rel(file)}: no NNN- apply-order prefix`)
      }
      const dir = dirname(file)
      const listed = existsSync(join(dir, KUSTOMIZATION))
        ? [
            ...(readKustomization(dir).resources ?? []),
            ...(readKustomization(dir).patches ?? []).map((p) => p.path),
          ]
        : []
      if (!listed.includes(file.split('/').at(-1)) && !rel(file).startsWith('gitops/root/')) {
        problems.push(`${rel(file)}: not listed in ${rel(join(dir, KUSTOMIZATION))}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('labels every resource with app.kubernetes.io name, part-of, component and version', () => {
    const missing = ownManifests.flatMap(({ file, resource }) =>
      ['name', 'part-of', 'component', 'version']
        .filter((label) => !resource.metadata.labels?.[`app.kubernetes.io/${label}`])
        .map((label) => `${rel(file)}: app.kubernetes.io/${label}`)
    )
    expect(missing).toEqual([])
  })

  it('puts every namespaced resource in an explicit namespace', () => {
    const clusterScoped = new Set(['Namespace'])
    const missing = ownManifests
      .filter(({ resource }) => !clusterScoped.has(resource.kind) && !resource.metadata.namespace)
      .map(({ file }) => rel(file))
    expect(missing).toEqual([])
  })

  it('labels every KafkaTopic with its Strimzi cluster', () => {
    const kafkaNames = ofKind('Kafka', 'kafka.strimzi.io/').map((kafka) => kafka.metadata.name)
    for (const topic of kafkaTopics) {
      expect(kafkaNames).toContain(topic.metadata.labels?.['strimzi.io/cluster'])
    }
  })

  it('rejects what the schemas are there to catch', () => {
    const source = structuredClone(findByName(kafkaSources, 'processor'))
    const typo = structuredClone(source) as unknown as { spec: Obj }
    typo.spec.consumergroup = 'x'
    expect(() => validateResource(typo as unknown as Resource)).toThrow(/additional/)
    const badOrdering = structuredClone(source) as unknown as { spec: Obj }
    badOrdering.spec.ordering = 'sorted'
    expect(() => validateResource(badOrdering as unknown as Resource)).toThrow(/allowed/)
    const topic = structuredClone(kafkaTopics[0]!) as unknown as { spec: Obj }
    topic.spec.partitions = 'six'
    expect(() => validateResource(topic as unknown as Resource)).toThrow(/integer/)
    expect(() =>
      validateResource({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } })
    ).toThrow(/no schema/)
  })
})

describe('Knative functions and event sources', () => {
  it('has a Knative Service for each function, cluster-local except the dashboard', () => {
    const names = knativeServices.map((service) => service.metadata.name).sort()
    expect(names).toEqual(EXPECTED_FUNCTIONS)
    for (const service of knativeServices) {
      const visibility = service.metadata.labels?.['networking.knative.dev/visibility']
      expect([service.metadata.name, visibility]).toEqual([
        service.metadata.name,
        service.metadata.name === 'dashboard' ? undefined : 'cluster-local',
      ])
    }
  })

  it('deploys every function folder that builds', () => {
    const functions = builtBundles().filter((name) => name !== 'migrate')
    const deployed = knativeServices.map((service) => service.metadata.name)
    expect(functions.filter((name) => !deployed.includes(name))).toEqual([])
  })

  it.each(knativeServices.map((service) => [service.metadata.name, service] as const))(
    '%s waits on SIGTERM for what its revision timeout leaves after the drain',
    async (name, service) => {
      // Each function reads its timeout from config.ts: it must be the manifest's.
      const config = (await import(
        pathToFileURL(join(root, 'functions', name, 'config.ts')).href
      )) as {
        REVISION_TIMEOUT_SECONDS: number
      }
      expect(config.REVISION_TIMEOUT_SECONDS).toBe(podTemplate(service).spec.timeoutSeconds)
    }
  )

  it.each(knativeServices.map((service) => [service.metadata.name, service] as const))(
    '%s scales to zero, limits concurrency and resources, probes /health',
    (_name, service) => {
      const template = podTemplate(service)
      const annotations = template.metadata?.annotations ?? {}
      expect(annotations['autoscaling.knative.dev/min-scale']).toBe('0')
      expect(Number(annotations['autoscaling.knative.dev/max-scale'])).toBeGreaterThan(0)
      expect(template.spec.containerConcurrency).toBeGreaterThan(0)
      const [container] = template.spec.containers
      for (const amounts of [container?.resources?.requests, container?.resources?.limits]) {
        expect(amounts?.cpu).toBeTypeOf('string')
        expect(amounts?.memory).toBeTypeOf('string')
      }
      expect(container?.readinessProbe?.httpGet?.path).toBe('/health/readiness')
      expect(container?.livenessProbe?.httpGet?.path).toBe('/health/liveness')
      expect(container?.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      })
    }
  )

  it('sizes the processor database pool to its container concurrency', () => {
    const processor = findByName(knativeServices, 'processor')
    const [container] = podTemplate(processor).spec.containers
    const { env } = containerEnv(container!, 'skytrail', configMaps, secrets)
    expect(Number(env.DATABASE_POOL_MAX)).toBe(podTemplate(processor).spec.containerConcurrency)
  })

  it('gives the dashboard the read-only database role and the others the read-write one', () => {
    for (const service of knativeServices) {
      const [container] = podTemplate(service).spec.containers
      const databaseUrl = container?.env?.find((variable) => variable.name === 'DATABASE_URL')
      const secret = databaseUrl?.valueFrom?.secretKeyRef?.name
      if (service.metadata.name === 'dashboard') {
        expect(secret).toBe('skytrail-db-readonly')
      } else if (secret) {
        expect(secret).toBe('skytrail-db-app')
      }
    }
  })

  it('points every source and dead-letter sink at an object that exists', () => {
    const sinks = ofKind('KafkaSink')
    const refs = [
      ...kafkaSources.flatMap((source) => [
        [source, sourceSpec(source).sink.ref] as const,
        [source, sourceSpec(source).delivery?.deadLetterSink?.ref] as const,
      ]),
      ...ofKind('PingSource').map(
        (source) => [source, (source.spec as { sink: { ref?: Ref } }).sink.ref] as const
      ),
    ]
    expect(refs.length).toBeGreaterThanOrEqual(4)
    for (const [source, ref] of refs) {
      expect(ref, `${source.metadata.name} uses a ref`).toBeDefined()
      const namespace = ref!.namespace ?? source.metadata.namespace
      const candidates = ref!.kind === 'KafkaSink' ? sinks : knativeServices
      expect(ref!.apiVersion).toBe(
        ref!.kind === 'KafkaSink' ? 'eventing.knative.dev/v1alpha1' : 'serving.knative.dev/v1'
      )
      expect(() => findByName(candidates, ref!.name, namespace)).not.toThrow()
    }
  })

  it('sets explicit delivery on the KafkaSource: ordered, consumers = partitions, retries, DLS', () => {
    expect(kafkaSources.length).toBeGreaterThan(0)
    for (const source of kafkaSources) {
      const spec = sourceSpec(source)
      expect(spec.ordering).toBe('ordered')
      const partitions = spec.topics.map(
        (name) =>
          (kafkaTopics.find((topic) => topicName(topic) === name)?.spec as { partitions: number })
            .partitions
      )
      expect(spec.consumers).toBe(Math.max(...partitions))
      // A delivery block without retry means zero retries.
      expect(spec.delivery?.retry).toBeGreaterThan(0)
      expect(spec.delivery?.backoffPolicy).toBeDefined()
      expect(spec.delivery?.backoffDelay).toBeDefined()
      expect(spec.delivery?.timeout).toBeDefined()
      expect(spec.delivery?.deadLetterSink?.ref).toBeDefined()
      expect(spec.consumerGroup).toBeDefined()
      // A record sent to the dead-letter sink is lost for the pipeline: the retries (the processor
      // answers 503 meanwhile) must outlast a 30-minute database outage.
      const delaySeconds = Number(/^PT([\d.]+)S$/.exec(spec.delivery?.backoffDelay ?? '')?.[1])
      const backoffSeconds = Array.from(
        { length: spec.delivery?.retry ?? 0 },
        (_, n) => delaySeconds * 2 ** (n + 1)
      ).reduce((sum, wait) => sum + wait, 0)
      expect(spec.delivery?.backoffPolicy).toBe('exponential')
      expect(backoffSeconds).toBeGreaterThanOrEqual(30 * 60)
    }
  })

  it('fires the PingSources every 5 minutes in an explicit time zone', () => {
    const pings = ofKind('PingSource')
    expect(pings.map((ping) => ping.metadata.name).sort()).toEqual([
      'producer-tick',
      'sweeper-tick',
    ])
    for (const ping of pings) {
      const spec = ping.spec as { schedule: string; timezone?: string }
      expect(spec.schedule.split(' ')[0]).toMatch(/\/5$/)
      expect(spec.timezone).toMatch(/^[A-Za-z_]+\/[A-Za-z_]+$/)
    }
  })

  it('keeps the producer pod between ticks: its credit pacing lives in memory', () => {
    const producer = ofKind('Service', 'serving.knative.dev/').find(
      (service) => service.metadata.name === 'producer'
    )
    const annotations = (
      producer?.spec as { template: { metadata: { annotations: Record<string, string> } } }
    ).template.metadata.annotations
    const retention = annotations['autoscaling.knative.dev/scale-to-zero-pod-retention-period']
    const minutes = Number(/^(\d+)m$/.exec(retention ?? '')?.[1] ?? 0)
    const tick = ofKind('PingSource').find((ping) => ping.metadata.name === 'producer-tick')
    const everyMinutes = Number(
      /^\*\/(\d+) /.exec((tick?.spec as { schedule: string }).schedule)?.[1]
    )
    expect(minutes).toBeGreaterThan(everyMinutes)
  })

  it('uses only topics that exist and the bootstrap service of the Kafka cluster', () => {
    const kafkas = ofKind('Kafka', 'kafka.strimzi.io/')
    const bootstraps = kafkas.map(
      (kafka) => `${kafka.metadata.name}-kafka-bootstrap.${kafka.metadata.namespace}.svc:9092`
    )
    const used = [
      ...kafkaSources.flatMap((source) => sourceSpec(source).topics),
      ...ofKind('KafkaSink').map((sink) => (sink.spec as { topic: string }).topic),
      ...configMaps.flatMap((map) =>
        Object.entries(map.data ?? {})
          .filter(([key]) => key.endsWith('_TOPIC'))
          .map(([, value]) => value)
      ),
    ]
    expect(used.filter((topic) => !topicNames.includes(topic))).toEqual([])
    const servers = [
      ...kafkaSources.flatMap((source) => sourceSpec(source).bootstrapServers),
      ...ofKind('KafkaSink').flatMap(
        (sink) => (sink.spec as { bootstrapServers: string[] }).bootstrapServers
      ),
      ...configMaps.flatMap((map) =>
        Object.entries(map.data ?? {})
          .filter(([key]) => key === 'KAFKA_BROKERS' || key.endsWith('BOOTSTRAPSERVERS'))
          .flatMap(([, value]) => value.split(','))
      ),
    ]
    expect(servers.length).toBeGreaterThan(3)
    expect(servers.filter((server) => !bootstraps.includes(server))).toEqual([])
  })

  it('agrees on partitions and the flight timeout wherever a setting repeats them', () => {
    const values = (key: string) =>
      configMaps.flatMap((map) => (map.data?.[key] === undefined ? [] : [map.data[key]]))
    const partitions = (name: string) =>
      (kafkaTopics.find((t) => topicName(t) === name)?.spec as { partitions: number }).partitions
    for (const map of configMaps.filter((m) => m.data?.KAFKA_PARTITIONS !== undefined)) {
      expect(Number(map.data!.KAFKA_PARTITIONS)).toBe(partitions(map.data!.KAFKA_TOPIC!))
    }
    expect(new Set(values('FLIGHT_TIMEOUT_SECONDS')).size).toBe(1)
    expect(values('DASHBOARD_STALE_SECONDS')).toEqual(values('FRESHNESS_THRESHOLD_SECONDS'))
  })

  it('keeps flight_raw_data at 6 partitions for 6 hours with the delete policy', () => {
    const topic = kafkaTopics.find((t) => topicName(t) === 'flight_raw_data')
    expect(topic?.spec).toMatchObject({
      partitions: 6,
      config: { 'retention.ms': 21600000, 'cleanup.policy': 'delete' },
    })
  })

  it("gives the sweeper the processor KafkaSource's consumer group", () => {
    const source = kafkaSources.find((s) => sourceSpec(s).sink.ref?.name === 'processor')
    const sweeper = findByName(knativeServices, 'sweeper')
    const { env } = containerEnv(
      podTemplate(sweeper).spec.containers[0]!,
      'skytrail',
      configMaps,
      secrets
    )
    expect(env.KAFKA_CONSUMER_GROUP).toBeDefined()
    expect(env.KAFKA_CONSUMER_GROUP).toBe(sourceSpec(source!).consumerGroup)
  })
})

describe("functions' configuration schemas against the manifests", () => {
  const functionsWithConfig = readdirSync(join(root, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter((name) => existsSync(join(root, 'functions', name, 'config.ts')))
    .sort()

  it('finds at least the processor configuration', () => {
    expect(functionsWithConfig).toContain('processor')
  })

  it.each(functionsWithConfig)(
    '%s: the Service provides every required key, sets only known keys, and the values parse',
    async (name) => {
      const module = (await import(
        pathToFileURL(join(root, 'functions', name, 'config.ts')).href
      )) as { envSchema?: z.ZodObject }
      expect(module.envSchema, `functions/${name}/config.ts exports envSchema`).toBeDefined()
      const service = findByName(knativeServices, name)
      const [container] = podTemplate(service).spec.containers
      const { env, unknownSources } = containerEnv(
        container!,
        service.metadata.namespace!,
        configMaps,
        secrets
      )
      expect(envProblems(module.envSchema!, env, unknownSources)).toEqual([])
    }
  )

  it('reports a missing required key, an unknown key and a bad value', async () => {
    const { envSchema } = (await import(
      pathToFileURL(join(root, 'functions/processor/config.ts')).href
    )) as { envSchema: z.ZodObject }
    expect(envProblems(envSchema, {}, [])).toContain('required DATABASE_URL is not provided')
    expect(
      envProblems(envSchema, { DATABASE_URL: 'postgres://x', DATABSE_POOL_MAX: '3' }, [])
    ).toContain('DATABSE_POOL_MAX is set but the schema does not know it')
    expect(envProblems(envSchema, { DATABASE_URL: 'mysql://x' }, [])).toHaveLength(1)
  })
})

describe('database and migrations', () => {
  const jobs = ofKind('Job', 'batch/')

  it('runs the roles and migration Jobs as Sync hooks (not PreSync) that replace their last run', () => {
    expect(jobs.map((job) => job.metadata.name).sort()).toEqual(['db-migrate', 'db-roles'])
    for (const job of jobs) {
      expect(job.metadata.annotations).toMatchObject({
        'argocd.argoproj.io/hook': 'Sync',
        'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      })
    }
    expect(wave(findByName(jobs, 'db-roles'))).toBeLessThan(wave(findByName(jobs, 'db-migrate')))
  })

  it('syncs what a hook Job mounts or reads in an earlier wave than the Job, so it exists when the Job starts', () => {
    // Argo CD starts a wave only once the one before is healthy: a Job that waits on a ConfigMap
    // of its own wave or a later one never becomes healthy, and the sync never gets there.
    const hookJobs = ownManifests.filter(
      ({ resource }) =>
        resource.kind === 'Job' && resource.metadata.annotations?.['argocd.argoproj.io/hook']
    )
    expect(hookJobs).toHaveLength(2)
    for (const { file, resource: job } of hookJobs) {
      const referenced = new Set(
        [...JSON.stringify(podTemplate(job).spec).matchAll(/"name":"([^"]+)"/g)].map((m) => m[1])
      )
      const inputs = ownManifests.filter(
        ({ file: other, resource }) =>
          dirname(other) === dirname(file) &&
          (resource.kind === 'ConfigMap' || resource.kind === 'Secret') &&
          referenced.has(resource.metadata.name)
      )
      for (const { resource: input } of inputs) {
        expect(
          wave(input),
          `${input.kind} ${input.metadata.name} before Job ${job.metadata.name}`
        ).toBeLessThan(wave(job))
      }
    }
    const rolesJob = hookJobs.find(({ resource }) => resource.metadata.name === 'db-roles')
    expect(JSON.stringify(podTemplate(rolesJob!.resource).spec)).toContain('"name":"db-roles"')
  })

  it('gives the migration Job the migrate image and the read-write DATABASE_URL', () => {
    const [container] = podTemplate(findByName(jobs, 'db-migrate')).spec.containers
    expect(container?.image).toBe('skytrail-migrate')
    const { env } = containerEnv(container!, 'skytrail', configMaps, secrets)
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/skytrail:/)
  })

  it('keeps the role passwords in the Secrets in step with their DATABASE_URLs', () => {
    for (const name of ['skytrail-db-app', 'skytrail-db-readonly']) {
      const data = secretOrConfigMapData(findByName(secrets, name))
      const url = new URL(data.DATABASE_URL!)
      expect([url.username, url.password]).toEqual([data.username, data.password])
      expect(url.hostname).toBe('postgres.skytrail.svc')
    }
    const roles = configMaps.find((map) => map.metadata.name === 'db-roles')?.data?.['roles.sql']
    expect(roles).toContain('GRANT SELECT ON TABLES TO skytrail_reader')
  })
})

describe('images: Dockerfile, workflow and kustomizations agree', () => {
  const stages = dockerStages()
  const targets = stages.filter((stage) => stage.from === 'runtime').map((stage) => stage.name)

  it('builds every bundle npm run build makes, one target each', () => {
    const build = stages.find((stage) => stage.lines.some((line) => line === 'RUN npm run build'))
    expect(build, 'a stage runs npm run build').toBeDefined()
    expect(targets.slice().sort()).toEqual(
      [...new Set([...builtBundles(), ...EXPECTED_FUNCTIONS])].sort()
    )
    for (const stage of stages.filter((s) => targets.includes(s.name))) {
      // node, optional node flags, then the bundle
      const cmd = stage.lines.find((line) => line.startsWith('CMD '))
      expect(cmd, `${stage.name} has a CMD`).toMatch(
        new RegExp(`^CMD \\["node", (?:"--[^"]+", )*"dist/${stage.name}\\.mjs"\\]$`)
      )
      expect(
        stage.lines.some(
          (line) =>
            line.startsWith(`COPY --from=${build!.name} `) &&
            line.includes(`/dist/${stage.name}.mjs `)
        )
      ).toBe(true)
    }
    const migrate = stages.find((stage) => stage.name === 'migrate')
    expect(migrate?.lines.some((line) => /COPY .*db\/migrations db\/migrations$/.test(line))).toBe(
      true
    )
  })

  it('runs as a non-root numeric user on Node 24', () => {
    const runtime = stages.find((stage) => stage.name === 'runtime')
    expect(runtime?.from).toMatch(/^node:24[-.]/)
    expect(runtime?.lines).toContain('USER 1000:1000')
    for (const stage of stages.filter((s) => targets.includes(s.name))) {
      expect(stage.lines.some((line) => line.startsWith('USER '))).toBe(false)
    }
  })

  it('builds the Dockerfile targets in the images workflow and updates their overlays', () => {
    expect(imagesMatrix()).toEqual(targets.slice().sort())
    const update = workflowJobs(readWorkflow('images.yml'))['update-overlays']!
    expect(update.env?.IMAGES?.split(' ').sort()).toEqual(imagesMatrix())
  })

  it('builds no images for a push that only changes gitops/, which no image contains', () => {
    // Image Updater's write-back commits would otherwise rebuild every image once more.
    const on = readWorkflow('images.yml').on as { push?: { 'paths-ignore'?: string[] } }
    expect(on.push?.['paths-ignore']).toEqual(['gitops/**'])
    const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n')
    expect(dockerignore).toContain('gitops')
  })

  it('maps each image to ghcr.io/<owner>/skytrail-<image> in the dev overlays', () => {
    const overlays = walk(join(root, 'gitops/overlays'), (file) =>
      file.endsWith(`/${KUSTOMIZATION}`)
    )
    const images = overlays.flatMap((file) => readKustomization(dirname(file)).images ?? [])
    expect(images.map((image) => image.name).sort()).toEqual(
      imagesMatrix().map((image) => `skytrail-${image}`)
    )
    const owners = new Set(
      images.map((image) => {
        const match = /^ghcr\.io\/([a-z0-9-]+)\/(skytrail-[a-z]+)$/.exec(image.newName ?? '')
        expect(match?.[2]).toBe(image.name)
        return match?.[1]
      })
    )
    expect(owners.size).toBe(1)
    const logical = ownManifests.flatMap(({ resource }) =>
      ['Service', 'Job'].includes(resource.kind) && resource.spec && 'template' in resource.spec
        ? podTemplate(resource).spec.containers.map((container) => container.image)
        : []
    )
    for (const name of logical.filter((image) => image.startsWith('skytrail-'))) {
      expect(images.map((image) => image.name)).toContain(name)
    }
  })

  it('lets Image Updater write each image back to the overlay its Application renders', () => {
    const updater = ofKind('ImageUpdater')[0]!
    const spec = updater.spec as {
      commonUpdateSettings: { updateStrategy: string; allowTags: string }
      writeBackConfig: { method: string; gitConfig: { writeBackTarget: string } }
      applicationRefs: {
        namePattern: string
        images: { imageName: string; manifestTargets: { kustomize: { name: string } } }[]
      }[]
    }
    expect(updater.metadata.namespace).toBe('argocd')
    expect(spec.commonUpdateSettings).toEqual({
      updateStrategy: 'newest-build',
      allowTags: 'regexp:^sha-',
    })
    expect(spec.writeBackConfig.method).toBe('git')
    expect(spec.writeBackConfig.gitConfig.writeBackTarget).toBe('kustomization')
    for (const ref of spec.applicationRefs) {
      const app = findByName(applications, ref.namePattern)
      const kustomization = readKustomization(join(root, appSpec(app).source.path!))
      for (const image of ref.images) {
        const entry = kustomization.images?.find(
          (i) => i.name === image.manifestTargets.kustomize.name
        )
        expect(entry?.newName).toBe(image.imageName)
      }
    }
  })
})

describe('Argo CD app of apps', () => {
  const byName = (name: string) => findByName(applications, name)

  it('names the processor Application opensky-processor', () => {
    expect(appSpec(byName('opensky-processor')).source.path).toBe('gitops/overlays/dev/processor')
  })

  it('orders the waves: operators, Kafka and PostgreSQL, topics and migrations, functions, UIs', () => {
    const order = [
      ['knative-serving', 'knative-eventing', 'strimzi-operator', 'argocd-image-updater'],
      ['knative-eventing-kafka'],
      ['kafka-cluster', 'skytrail-postgres'],
      ['kafka-topics', 'skytrail-migrations'],
      ['opensky-producer', 'opensky-processor', 'opensky-sweeper'],
      ['opensky-dashboard', 'kafka-ui'],
      ['image-updater-config'],
    ]
    const children = applications.filter((app) => app.metadata.name !== 'skytrail')
    expect(children.map((app) => app.metadata.name).sort()).toEqual(order.flat().sort())
    for (let step = 1; step < order.length; step++) {
      const before = Math.max(...order[step - 1]!.map((name) => wave(byName(name))))
      const after = Math.min(...order[step]!.map((name) => wave(byName(name))))
      expect(
        after,
        `${order[step]!.join(', ')} after ${order[step - 1]!.join(', ')}`
      ).toBeGreaterThan(before)
    }
  })

  it('waits on child health: argocd-cm has health checks for Applications and Knative sources', () => {
    const cm = parseYaml(join(root, 'gitops/argocd/100-configmap-argocd-cm.yaml'))[0] as Resource
    for (const key of [
      'argoproj.io_Application',
      'sources.knative.dev_KafkaSource',
      'sources.knative.dev_PingSource',
      'eventing.knative.dev_KafkaSink',
    ]) {
      expect(cm.data?.[`resource.customizations.health.${key}`]).toContain('return hs')
    }
  })

  it('uses server-side apply for the operators with large CRDs', () => {
    for (const app of applications.filter(
      (a) => a.metadata.labels?.['app.kubernetes.io/component'] === 'platform'
    )) {
      expect(appSpec(app).syncPolicy?.syncOptions).toContain('ServerSideApply=true')
    }
  })

  it('points every Git-sourced child at a folder with a kustomization, patched by the root', () => {
    const rootApp = byName('skytrail')
    const patches = appSpec(rootApp).source.kustomize?.patches ?? []
    const selector = patches[0]?.target?.labelSelector
    expect(selector).toBe('skytrail.dev/repo=self')
    const listed = readKustomization(join(root, appSpec(rootApp).source.path!)).resources ?? []
    for (const app of applications.filter((a) => a !== rootApp)) {
      const spec = appSpec(app)
      expect(
        listed.some((file) => file.includes(app.metadata.name.replace(/^skytrail-/, '')))
      ).toBe(true)
      if (spec.source.chart) {
        continue
      }
      expect(app.metadata.labels?.['skytrail.dev/repo'], app.metadata.name).toBe('self')
      expect(spec.source.repoURL).toBe(appSpec(rootApp).source.repoURL)
      expect(existsSync(join(root, spec.source.path!, KUSTOMIZATION)), spec.source.path).toBe(true)
    }
  })

  const localKustomizations = kustomizationFiles
    .map((file) => rel(dirname(file)))
    .filter((dir) => {
      const resources = readKustomization(join(root, dir)).resources ?? []
      return !resources.some((resource) => /^https?:\/\//.test(resource))
    })

  it.skipIf(!hasKubectl()).each(localKustomizations)('kubectl kustomize renders %s', (dir) => {
    const output = execFileSync('kubectl', ['kustomize', join(root, dir)], { encoding: 'utf8' })
    const rendered = parseAllDocuments(output).map((doc) => doc.toJS() as Resource)
    expect(rendered.length).toBeGreaterThan(0)
    if (dir.startsWith('gitops/overlays/')) {
      const images = rendered.flatMap((resource) =>
        resource.spec && 'template' in resource.spec
          ? podTemplate(resource).spec.containers.map((container) => container.image)
          : []
      )
      // Every logical skytrail-<image> name is rewritten to a registry image.
      expect(images.filter((image) => image.startsWith('skytrail-'))).toEqual([])
    }
  })
})

describe('GitHub workflows', () => {
  const workflows = ['ci.yml', 'images.yml']

  it.each(workflows)('%s pins every action to a commit SHA with a version comment', (name) => {
    const text = readFileSync(join(root, '.github/workflows', name), 'utf8')
    const uses = text.split('\n').filter((line) => /^\s*(- )?uses:/.test(line))
    expect(uses.length).toBeGreaterThan(0)
    for (const line of uses) {
      expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/)
    }
  })

  it.each(workflows)('%s reads the repository by default and widens per job only', (name) => {
    const workflow = readWorkflow(name)
    expect(workflow.permissions).toEqual({ contents: 'read' })
    for (const [jobName, job] of Object.entries(workflowJobs(workflow))) {
      const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write')
      const allowed: Record<string, string[]> = {
        build: ['packages'],
        'update-overlays': ['contents'],
      }
      expect(writes.map(([scope]) => scope)).toEqual(
        name === 'images.yml' ? (allowed[jobName] ?? []) : []
      )
    }
  })

  it('runs ci in order format, lint, typecheck, unit, integration, build against real services', () => {
    const job = workflowJobs(readWorkflow('ci.yml')).ci!
    const runs = job.steps.flatMap((step) => (step.run ? [step.run] : []))
    expect(runs).toEqual([
      'npm ci --no-audit --no-fund',
      'npm run format',
      'npm run lint',
      'npm run typecheck',
      'npm run test:unit',
      'npm run test:integration',
      'npm run build',
    ])
    const setupNode = job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))
    expect(setupNode?.with?.['node-version-file']).toBe('.node-version')
    expect(readFileSync(join(root, '.node-version'), 'utf8').trim()).toBe('24')
    expect(job.services?.postgres?.options).toContain('pg_isready')
    expect(job.services?.kafka?.image).toBe('apache/kafka:4.3.1')
    expect(job.env?.CI).toBe('true')
    expect(job.env?.TEST_KAFKA_BROKERS).toBe('localhost:9092')
    expect(job.env?.TEST_DATABASE_URL).toMatch(/^postgres:\/\/.*@localhost:5432\//)
  })
})
