/** Stylesheets a module imports for their side effect (`import "./filters.css"`): Vite bundles them. */
declare module "*.css" {}
