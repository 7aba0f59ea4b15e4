import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The module map of docs/architecture.md, enforced: a module is a folder under src/modules, and
 * other code may import it only through its index.ts; platform/ imports no module; no cycles.
 */
const root = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__fixtures__' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

interface Import {
  target: string;
  /** Erased when compiled (`import type`, or every name marked `type`): no edge at run time. */
  typeOnly: boolean;
}

function importIsTypeOnly(statement: ts.ImportDeclaration): boolean {
  const clause = statement.importClause;
  if (clause === undefined) return false;
  const named = clause.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : null;
  return clause.isTypeOnly || (!clause.name && named !== null && named.length > 0 && named.every((e) => e.isTypeOnly));
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const imports: Import[] = [];
  for (const statement of source.statements) {
    if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) || !statement.moduleSpecifier)
      continue;
    const spec = (statement.moduleSpecifier as ts.StringLiteral).text;
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    imports.push({
      target,
      typeOnly: ts.isImportDeclaration(statement) ? importIsTypeOnly(statement) : statement.isTypeOnly,
    });
  }
  return imports;
}

/**
 * The routes plugins a file hands to Fastify or calls with its instance: by the convention every
 * module follows, a routes plugin is a function named `…Routes` or `…Route`.
 */
function pluginsRegisteredBy(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const found: string[] = [];
  const isPlugin = (node: ts.Node | undefined): node is ts.Identifier =>
    node !== undefined && ts.isIdentifier(node) && /Routes?$/.test(node.text);
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const registers = ts.isPropertyAccessExpression(callee) && callee.name.text === 'register';
      if (registers && isPlugin(node.arguments[0])) found.push(node.arguments[0].text);
      if (isPlugin(callee)) found.push(callee.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** A routes file's plugins: the functions it exports whose first parameter is the Fastify instance (`app: App`). */
function pluginsExportedBy(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const takesApp = (fn: ts.SignatureDeclaration) => fn.parameters[0]?.type?.getText(source) === 'App';
  const plugins: string[] = [];
  for (const statement of source.statements) {
    if (!exported(statement)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name && takesApp(statement)) plugins.push(statement.name.text);
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations) {
        const value = declaration.initializer;
        if (ts.isIdentifier(declaration.name) && value && ts.isArrowFunction(value) && takesApp(value))
          plugins.push(declaration.name.text);
      }
  }
  return plugins;
}

/** Where a file imports one of `plugins` (under any local name) or hands it to Fastify or calls it. */
function usesOf(file: string, plugins: Set<string>): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportSpecifier(node) && plugins.has((node.propertyName ?? node.name).text))
      found.push(`imports ${(node.propertyName ?? node.name).text}`);
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const first = node.arguments[0];
      const registers = ts.isPropertyAccessExpression(callee) && callee.name.text === 'register';
      if (registers && first && ts.isIdentifier(first) && plugins.has(first.text))
        found.push(`registers ${first.text}`);
      if (ts.isIdentifier(callee) && plugins.has(callee.text)) found.push(`calls ${callee.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = sourceFiles(root);
const imports = new Map(files.map((file) => [file, importsOf(file)] as const));
const graph = new Map([...imports].map(([file, list]) => [file, list.map((i) => i.target)] as const));
const runtimeGraph = new Map(
  [...imports].map(([file, list]) => [file, list.filter((i) => !i.typeOnly).map((i) => i.target)] as const),
);
const rel = (file: string) => relative(root, file).split(sep).join('/');
const moduleOf = (file: string) => /^modules\/([^/]+)\//.exec(rel(file))?.[1] ?? null;

describe('module boundaries (docs/architecture.md)', () => {
  it('every module has an index.ts', () => {
    const modules = readdirSync(join(root, 'modules'));
    const missing = modules.filter((m) => !files.includes(join(root, 'modules', m, 'index.ts')));
    expect(missing).toEqual([]);
  });

  it('code outside a module imports it only through its index.ts', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      // The database type is composed from the modules' table files in one place, next to the container.
      if (rel(file) === 'database.ts') continue;
      for (const target of targets) {
        const targetModule = moduleOf(target);
        if (targetModule === null || targetModule === moduleOf(file)) continue;
        if (rel(target) !== `modules/${targetModule}/index.ts`) violations.push(`${rel(file)} → ${rel(target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('platform/ imports no module and nothing outside platform/', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      if (!rel(file).startsWith('platform/')) continue;
      for (const target of targets)
        if (!rel(target).startsWith('platform/')) violations.push(`${rel(file)} → ${rel(target)}`);
    }
    expect(violations).toEqual([]);
  });

  it('only the top layer (app.ts, the CLI, the entrypoints) sees the container', () => {
    // Routes and services get the narrow slice they use (their *Deps), so none can reach every service.
    const topLayer = /^(app\.ts|container\.ts|cli\/|entrypoints\/)/;
    const violations: string[] = [];
    for (const [file, targets] of graph)
      if (!topLayer.test(rel(file)) && targets.some((t) => rel(t) === 'container.ts'))
        violations.push(`${rel(file)} → container.ts`);
    expect(violations).toEqual([]);
  });

  it('a routes plugin registers no other routes plugin: app.ts registers each one itself', () => {
    const violations: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.routes.ts'))) {
      for (const target of graph.get(file) ?? [])
        if (target.endsWith('.routes.ts')) violations.push(`${rel(file)} imports ${rel(target)}`);
      for (const name of pluginsRegisteredBy(file)) violations.push(`${rel(file)} registers ${name}`);
    }
    expect(violations).toEqual([]);
  });

  // Modules with no HTTP surface of their own: a library the others call.
  const withoutRoutes = new Set(['normalize']);
  const routesFiles = (module: string) => files.filter((f) => moduleOf(f) === module && f.endsWith('.routes.ts'));
  const modules = readdirSync(join(root, 'modules')).filter((m) => statSync(join(root, 'modules', m)).isDirectory());

  it('each module has one <module>.routes.ts, and app.ts registers every plugin it exports', () => {
    const registeredByApp = new Set(
      usesOf(
        join(root, 'app.ts'),
        new Set(files.flatMap((f) => (f.endsWith('.routes.ts') ? pluginsExportedBy(f) : []))),
      )
        .filter((use) => !use.startsWith('imports '))
        .map((use) => use.split(' ')[1]),
    );
    const violations: string[] = [];
    for (const module of modules) {
      const found = routesFiles(module).map(rel);
      const expected = `modules/${module}/${module}.routes.ts`;
      if (withoutRoutes.has(module)) {
        if (found.length > 0) violations.push(`${module} is listed as having no routes but has ${found.join(', ')}`);
        continue;
      }
      if (found.length !== 1 || found[0] !== expected)
        violations.push(`${module}: expected ${expected} alone, found [${found.join(', ')}]`);
      for (const file of routesFiles(module)) {
        const plugins = pluginsExportedBy(file);
        if (plugins.length === 0) violations.push(`${rel(file)} exports no routes plugin`);
        for (const plugin of plugins)
          if (!registeredByApp.has(plugin)) violations.push(`${rel(file)}: app.ts does not register ${plugin}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("only app.ts registers a module's routes", () => {
    const plugins = new Set(modules.flatMap((m) => routesFiles(m)).flatMap((f) => pluginsExportedBy(f)));
    expect(plugins.size).toBeGreaterThan(0);
    const violations: string[] = [];
    for (const file of files) {
      // app.ts registers them; a module's index.ts only re-exports its own.
      if (rel(file) === 'app.ts' || /^modules\/[^/]+\/index\.ts$/.test(rel(file))) continue;
      for (const use of usesOf(file, plugins)) violations.push(`${rel(file)} ${use}`);
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycle between files at run time', () => {
    // Tarjan's strongly connected components: any component of more than one file is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let counter = 0;
    const visit = (file: string) => {
      index.set(file, counter);
      low.set(file, counter);
      counter += 1;
      stack.push(file);
      onStack.add(file);
      for (const target of runtimeGraph.get(file) ?? []) {
        if (!runtimeGraph.has(target)) continue;
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file)!, low.get(target)!));
        } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(rel(member));
        } while (member !== file);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const file of runtimeGraph.keys()) if (!index.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});

describe('connector folders (docs/architecture.md)', () => {
  const connectorsDir = join(root, 'modules/normalize/connectors');
  const folders = readdirSync(connectorsDir).filter((name) => statSync(join(connectorsDir, name)).isDirectory());

  it('each has exactly <p>.connector.ts, <p>.codes.ts, <p>.events.ts and <p>.signature.ts, beside tests and __fixtures__', () => {
    expect(folders.length).toBeGreaterThanOrEqual(5);
    const layouts = folders.map((p) => ({
      folder: p,
      sources: readdirSync(join(connectorsDir, p))
        .filter((name) => name !== '__fixtures__' && !/\.test\.ts$/.test(name))
        .sort(),
    }));
    expect(layouts).toEqual(
      folders.map((p) => ({
        folder: p,
        sources: [`${p}.codes.ts`, `${p}.connector.ts`, `${p}.events.ts`, `${p}.signature.ts`],
      })),
    );
  });

  it("each connector's verify is the one its <p>.signature.ts exports", () => {
    const violations: string[] = [];
    for (const p of folders) {
      const file = join(connectorsDir, p, `${p}.connector.ts`);
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
      const fromSignature = new Set<string>();
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement)) continue;
        if ((statement.moduleSpecifier as ts.StringLiteral).text !== `./${p}.signature.js`) continue;
        const named = statement.importClause?.namedBindings;
        if (named && ts.isNamedImports(named))
          for (const element of named.elements) fromSignature.add(element.name.text);
      }
      const verifiers: string[] = [];
      const visit = (node: ts.Node) => {
        if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'verify')
          verifiers.push(ts.isIdentifier(node.initializer) ? node.initializer.text : node.initializer.getText(source));
        ts.forEachChild(node, visit);
      };
      visit(source);
      if (verifiers.length !== 1 || !fromSignature.has(verifiers[0]!))
        violations.push(`${p}.connector.ts verify: ${verifiers.join(', ') || 'none'}`);
    }
    expect(violations).toEqual([]);
  });
});
