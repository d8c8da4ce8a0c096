export * from './inventory.js';
export { inventoryKey, type InventoryKey } from './inventory-key.js';
export { redisFamily } from './redis-families.js';
export { statementTables } from './statement-tables.js';
export { buildInventory, compareEntries } from './build-inventory.js';
export * from './compare-inventory.js';
export * from './inventory-report.js';
