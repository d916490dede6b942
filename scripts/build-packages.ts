// Builds the installable packages and packs them:
//
//   node scripts/toolchain.mjs pack [-- --out DIR] [--only worker-sdk …]
//
// Inside the workspace the packages run as TypeScript sources (Node strips the
// types; no build step for tests or `npm start`). For a project outside it,
// each package is compiled to dist/ (JavaScript with .d.ts files, relative
// imports rewritten from .ts to .js) and packed by pnpm, which puts
// `publishConfig.exports` in place of the source exports and the real
// version in place of `workspace:*`. Prints the tarballs' paths, one a line.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export const PACKAGES = ['worker-sdk', 'session-store', 'supervisor', 'gateway']
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The pinned pnpm the bootstrap provisioned, else the one on PATH. */
function pnpmCommand (): [string, string[]] {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager as string).split('@')[1]
  const cjs = join(root, '.tools', `pnpm-${version}`, 'package', 'bin', 'pnpm.cjs')
  return existsSync(cjs) ? [process.execPath, [cjs]] : ['pnpm', []]
}

/**
 * TypeScript keeps a source's `./x.ts` in the .d.ts it emits; a consumer
 * whose tsconfig does not allow .ts imports (the default) resolves
 * `./x.js` to `./x.d.ts` instead, so the declarations name the emitted files.
 */
function rewriteDeclarations (dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name)
    if (entry.isDirectory()) rewriteDeclarations(file)
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(file, 'utf8')
      const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3')
      if (fixed !== text) writeFileSync(file, fixed)
    }
  }
}

/** Every source export has its built twin in publishConfig, pointing at the same file under dist/. */
function checkPublishedExports (name: string): void {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'))
  const source = manifest.exports as Record<string, string>
  const built = (manifest.publishConfig?.exports ?? {}) as Record<string, { default: string }>
  for (const [key, file] of Object.entries(source)) {
    const want = file.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js')
    if (built[key]?.default !== want) throw new Error(`packages/${name}/package.json: publishConfig.exports["${key}"] must be { types, default: "${want}" }, for exports["${key}"] = "${file}"`)
  }
  for (const key of Object.keys(built)) {
    if (!(key in source)) throw new Error(`packages/${name}/package.json: publishConfig.exports["${key}"] has no source export`)
  }
}

export function buildPackage (name: string): void {
  checkPublishedExports(name)
  const dir = join(root, 'packages', name)
  rmSync(join(dir, 'dist'), { recursive: true, force: true })
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' })
  rewriteDeclarations(join(dir, 'dist'))
}

/** Builds and packs; answers the tarballs' paths. */
export function buildAndPack (names: string[], out: string): string[] {
  mkdirSync(out, { recursive: true })
  const [pnpm, pre] = pnpmCommand()
  return names.map(name => {
    buildPackage(name)
    const json = execFileSync(pnpm, [...pre, 'pack', '--json', '--pack-destination', out], {
      cwd: join(root, 'packages', name),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_manage_package_manager_versions: 'false' }
    })
    return resolve(out, JSON.parse(json).filename as string)
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'dist') }, only: { type: 'string', multiple: true } } })
  for (const file of buildAndPack(values.only ?? PACKAGES, resolve(values.out!))) process.stdout.write(file + '\n')
}
