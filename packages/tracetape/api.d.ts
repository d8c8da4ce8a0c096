export * from '@tracetape/register/api';
