export * from '@tracetape/replay/testing';
