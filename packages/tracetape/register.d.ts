export * from '@tracetape/register';
