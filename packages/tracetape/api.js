// What an app imports: `run()`, free of side effects (the hook itself is tracetape/register).
export * from '@tracetape/register/api';
