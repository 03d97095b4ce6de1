// The @nestjs/swagger CLI plugin as a ts-jest AST transformer, so that the OpenAPI document built
// under Jest is the one `nest build` produces (response types inferred from controller return
// types, `required` from `?`, descriptions from comments). jest.config.js passes it the options of
// the plugin entry in nest-cli.json.
//
// The plugin reads types through the program's type checker, so ts-jest must compile the files it
// transforms with its language service (isolatedModules off): with isolatedModules ts-jest hands
// over a one-file program in which every imported type is unresolved, and the plugin silently
// documents less. ts-jest's `program` is the language service's first program; each emit rebuilds
// the program, so ask the language service for the current one.
const plugin = require('@nestjs/swagger/plugin');

module.exports = {
  name: 'nestjs-swagger-transformer',
  // Part of ts-jest's cache key: bump the first number when this file changes; the plugin's own
  // version makes an upgrade of @nestjs/swagger recompile what it transformed.
  version: `1-${require('@nestjs/swagger/package.json').version}`,
  factory: (tsCompiler, options) => plugin.before(options, tsCompiler._languageService?.getProgram() ?? tsCompiler.program),
};
