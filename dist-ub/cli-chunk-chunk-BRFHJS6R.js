import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  findHelm
} from "./cli-chunk-chunk-LMBQ52M7.js";
import {
  HELM_YAML_OPTIONS,
  resolveValues,
  valuesSchema
} from "./cli-chunk-chunk-JMWZADJH.js";
import {
  require_dist
} from "./cli-chunk-chunk-BWD4I552.js";
import {
  UserError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import {
  chartTemplatesDir,
  defaultsPath,
  packageRoot,
  precompiledTemplatesPath,
  schemaPath,
  signerBundlePath
} from "./cli-chunk-chunk-A6GFL4ZW.js";
import {
  __commonJS,
  __toESM
} from "./cli-chunk-chunk-POY4YJ6C.js";

// node_modules/handlebars/dist/cjs/handlebars/utils.js
var require_utils = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/utils.js"(exports) {
    "use strict";
    exports.__esModule = true;
    exports.extend = extend;
    exports.indexOf = indexOf;
    exports.escapeExpression = escapeExpression;
    exports.isEmpty = isEmpty;
    exports.createFrame = createFrame;
    exports.blockParams = blockParams;
    exports.appendContextPath = appendContextPath;
    var escape = {
      "&": "&amp;",
      "<": "&lt;",
      ">": "&gt;",
      '"': "&quot;",
      "'": "&#x27;",
      "`": "&#x60;",
      "=": "&#x3D;"
    };
    var badChars = /[&<>"'`=]/g;
    var possible = /[&<>"'`=]/;
    function escapeChar(chr) {
      return escape[chr];
    }
    function extend(obj) {
      for (var i = 1; i < arguments.length; i++) {
        for (var key in arguments[i]) {
          if (Object.prototype.hasOwnProperty.call(arguments[i], key)) {
            obj[key] = arguments[i][key];
          }
        }
      }
      return obj;
    }
    var toString = Object.prototype.toString;
    exports.toString = toString;
    var isFunction = function isFunction2(value) {
      return typeof value === "function";
    };
    if (isFunction(/x/)) {
      exports.isFunction = isFunction = function(value) {
        return typeof value === "function" && toString.call(value) === "[object Function]";
      };
    }
    exports.isFunction = isFunction;
    var isArray = Array.isArray || function(value) {
      return value && typeof value === "object" ? toString.call(value) === "[object Array]" : false;
    };
    exports.isArray = isArray;
    function indexOf(array, value) {
      for (var i = 0, len = array.length; i < len; i++) {
        if (array[i] === value) {
          return i;
        }
      }
      return -1;
    }
    function escapeExpression(string) {
      if (typeof string !== "string") {
        if (string && typeof string.toHTML === "function") {
          return string.toHTML();
        } else if (string == null) {
          return "";
        } else if (!string) {
          return string + "";
        }
        string = "" + string;
      }
      if (!possible.test(string)) {
        return string;
      }
      return string.replace(badChars, escapeChar);
    }
    function isEmpty(value) {
      if (!value && value !== 0) {
        return true;
      } else if (isArray(value) && value.length === 0) {
        return true;
      } else {
        return false;
      }
    }
    function createFrame(object) {
      var frame = extend({}, object);
      frame._parent = object;
      return frame;
    }
    function blockParams(params, ids) {
      params.path = ids;
      return params;
    }
    function appendContextPath(contextPath, id) {
      return (contextPath ? contextPath + "." : "") + id;
    }
  }
});

// node_modules/handlebars/dist/cjs/handlebars/exception.js
var require_exception = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/exception.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    var errorProps = ["description", "fileName", "lineNumber", "endLineNumber", "message", "name", "number", "stack"];
    function Exception(message, node) {
      var loc = node && node.loc, line = void 0, endLineNumber = void 0, column = void 0, endColumn = void 0;
      if (loc && loc.start) {
        line = loc.start.line;
        column = loc.start.column;
        if (loc.end) {
          endLineNumber = loc.end.line;
          endColumn = loc.end.column;
        }
        message += " - " + line + ":" + column;
      }
      var tmp = Error.prototype.constructor.call(this, message);
      for (var idx = 0; idx < errorProps.length; idx++) {
        this[errorProps[idx]] = tmp[errorProps[idx]];
      }
      if (Error.captureStackTrace) {
        Error.captureStackTrace(this, Exception);
      }
      try {
        if (loc) {
          this.lineNumber = line;
          this.endLineNumber = endLineNumber;
          if (Object.defineProperty) {
            Object.defineProperty(this, "column", {
              value: column,
              enumerable: true
            });
            Object.defineProperty(this, "endColumn", {
              value: endColumn,
              enumerable: true
            });
          } else {
            this.column = column;
            this.endColumn = endColumn;
          }
        }
      } catch (nop) {
      }
    }
    Exception.prototype = new Error();
    exports["default"] = Exception;
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers/block-helper-missing.js
var require_block_helper_missing = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers/block-helper-missing.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    var _utils = require_utils();
    exports["default"] = function(instance) {
      instance.registerHelper("blockHelperMissing", function(context, options) {
        var inverse = options.inverse, fn = options.fn;
        if (context === true) {
          return fn(this);
        } else if (context === false || context == null) {
          return inverse(this);
        } else if (_utils.isArray(context)) {
          if (context.length > 0) {
            if (options.ids) {
              options.ids = [options.name];
            }
            return instance.helpers.each(context, options);
          } else {
            return inverse(this);
          }
        } else {
          if (options.data && options.ids) {
            var data = _utils.createFrame(options.data);
            data.contextPath = _utils.appendContextPath(options.data.contextPath, options.name);
            options = { data };
          }
          return fn(context, options);
        }
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers/each.js
var require_each = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers/each.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _utils = require_utils();
    var _exception = require_exception();
    var _exception2 = _interopRequireDefault(_exception);
    function closeIterator(iterator) {
      try {
        var _close = iterator["return"];
        if (_utils.isFunction(_close)) {
          _close.call(iterator);
        }
      } catch (closeError) {
      }
    }
    exports["default"] = function(instance) {
      instance.registerHelper("each", function(context, options) {
        if (!options) {
          throw new _exception2["default"]("Must pass iterator to #each");
        }
        var fn = options.fn, inverse = options.inverse, i = 0, ret = "", data = void 0, contextPath = void 0;
        if (options.data && options.ids) {
          contextPath = _utils.appendContextPath(options.data.contextPath, options.ids[0]) + ".";
        }
        if (_utils.isFunction(context)) {
          context = context.call(this);
        }
        if (options.data) {
          data = _utils.createFrame(options.data);
        }
        function execIteration(field, index, last, value) {
          if (data) {
            data.key = field;
            data.index = index;
            data.first = index === 0;
            data.last = !!last;
            if (contextPath) {
              data.contextPath = contextPath + field;
            }
          }
          ret = ret + fn(value, {
            data,
            blockParams: _utils.blockParams([value, field], [contextPath + field, null])
          });
        }
        if (context && typeof context === "object") {
          if (_utils.isArray(context)) {
            for (var j = context.length; i < j; i++) {
              if (i in context) {
                execIteration(i, i, i === context.length - 1, context[i]);
              }
            }
          } else if (typeof Symbol === "function" && context[Symbol.iterator]) {
            var iterator = context[Symbol.iterator]();
            var current = iterator.next();
            while (!current.done) {
              var next = iterator.next();
              try {
                execIteration(i, i, next.done, current.value);
              } catch (e) {
                if (!next.done) {
                  closeIterator(iterator);
                }
                throw e;
              }
              current = next;
              i++;
            }
          } else {
            (function() {
              var priorKey = void 0;
              Object.keys(context).forEach(function(key) {
                if (priorKey !== void 0) {
                  execIteration(priorKey, i - 1, false, context[priorKey]);
                }
                priorKey = key;
                i++;
              });
              if (priorKey !== void 0) {
                execIteration(priorKey, i - 1, true, context[priorKey]);
              }
            })();
          }
        }
        if (i === 0) {
          ret = inverse(this);
        }
        return ret;
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers/helper-missing.js
var require_helper_missing = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers/helper-missing.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _exception = require_exception();
    var _exception2 = _interopRequireDefault(_exception);
    exports["default"] = function(instance) {
      instance.registerHelper("helperMissing", function() {
        if (arguments.length === 1) {
          return void 0;
        } else {
          throw new _exception2["default"]('Missing helper: "' + arguments[arguments.length - 1].name + '"');
        }
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers/if.js
var require_if = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers/if.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _utils = require_utils();
    var _exception = require_exception();
    var _exception2 = _interopRequireDefault(_exception);
    exports["default"] = function(instance) {
      instance.registerHelper("if", function(conditional, options) {
        if (arguments.length != 2) {
          throw new _exception2["default"]("#if requires exactly one argument");
        }
        if (_utils.isFunction(conditional)) {
          conditional = conditional.call(this);
        }
        if (!options.hash.includeZero && !conditional || _utils.isEmpty(conditional)) {
          return options.inverse(this);
        } else {
          return options.fn(this);
        }
      });
      instance.registerHelper("unless", function(conditional, options) {
        if (arguments.length != 2) {
          throw new _exception2["default"]("#unless requires exactly one argument");
        }
        return instance.helpers["if"].call(this, conditional, {
          fn: options.inverse,
          inverse: options.fn,
          hash: options.hash
        });
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers/log.js
var require_log = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers/log.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    exports["default"] = function(instance) {
      instance.registerHelper("log", function() {
        var args = [void 0], options = arguments[arguments.length - 1];
        for (var i = 0; i < arguments.length - 1; i++) {
          args.push(arguments[i]);
        }
        var level = 1;
        if (options.hash.level != null) {
          level = options.hash.level;
        } else if (options.data && options.data.level != null) {
          level = options.data.level;
        }
        args[0] = level;
        instance.log.apply(instance, args);
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers/lookup.js
var require_lookup = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers/lookup.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    exports["default"] = function(instance) {
      instance.registerHelper("lookup", function(obj, field, options) {
        if (!obj) {
          return obj;
        }
        return options.lookupProperty(obj, field);
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers/with.js
var require_with = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers/with.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _utils = require_utils();
    var _exception = require_exception();
    var _exception2 = _interopRequireDefault(_exception);
    exports["default"] = function(instance) {
      instance.registerHelper("with", function(context, options) {
        if (arguments.length != 2) {
          throw new _exception2["default"]("#with requires exactly one argument");
        }
        if (_utils.isFunction(context)) {
          context = context.call(this);
        }
        var fn = options.fn;
        if (!_utils.isEmpty(context)) {
          var data = options.data;
          if (options.data && options.ids) {
            data = _utils.createFrame(options.data);
            data.contextPath = _utils.appendContextPath(options.data.contextPath, options.ids[0]);
          }
          return fn(context, {
            data,
            blockParams: _utils.blockParams([context], [data && data.contextPath])
          });
        } else {
          return options.inverse(this);
        }
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/helpers.js
var require_helpers = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/helpers.js"(exports) {
    "use strict";
    exports.__esModule = true;
    exports.registerDefaultHelpers = registerDefaultHelpers;
    exports.moveHelperToHooks = moveHelperToHooks;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _helpersBlockHelperMissing = require_block_helper_missing();
    var _helpersBlockHelperMissing2 = _interopRequireDefault(_helpersBlockHelperMissing);
    var _helpersEach = require_each();
    var _helpersEach2 = _interopRequireDefault(_helpersEach);
    var _helpersHelperMissing = require_helper_missing();
    var _helpersHelperMissing2 = _interopRequireDefault(_helpersHelperMissing);
    var _helpersIf = require_if();
    var _helpersIf2 = _interopRequireDefault(_helpersIf);
    var _helpersLog = require_log();
    var _helpersLog2 = _interopRequireDefault(_helpersLog);
    var _helpersLookup = require_lookup();
    var _helpersLookup2 = _interopRequireDefault(_helpersLookup);
    var _helpersWith = require_with();
    var _helpersWith2 = _interopRequireDefault(_helpersWith);
    function registerDefaultHelpers(instance) {
      _helpersBlockHelperMissing2["default"](instance);
      _helpersEach2["default"](instance);
      _helpersHelperMissing2["default"](instance);
      _helpersIf2["default"](instance);
      _helpersLog2["default"](instance);
      _helpersLookup2["default"](instance);
      _helpersWith2["default"](instance);
    }
    function moveHelperToHooks(instance, helperName, keepHelper) {
      if (instance.helpers[helperName]) {
        instance.hooks[helperName] = instance.helpers[helperName];
        if (!keepHelper) {
          instance.helpers[helperName] = void 0;
        }
      }
    }
  }
});

// node_modules/handlebars/dist/cjs/handlebars/decorators/inline.js
var require_inline = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/decorators/inline.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    var _utils = require_utils();
    exports["default"] = function(instance) {
      instance.registerDecorator("inline", function(fn, props, container, options) {
        var ret = fn;
        if (!props.partials) {
          props.partials = {};
          ret = function(context, options2) {
            var original = container.partials;
            container.partials = _utils.extend({}, original, props.partials);
            var ret2 = fn(context, options2);
            container.partials = original;
            return ret2;
          };
        }
        props.partials[options.args[0]] = options.fn;
        return ret;
      });
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/decorators.js
var require_decorators = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/decorators.js"(exports) {
    "use strict";
    exports.__esModule = true;
    exports.registerDefaultDecorators = registerDefaultDecorators;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _decoratorsInline = require_inline();
    var _decoratorsInline2 = _interopRequireDefault(_decoratorsInline);
    function registerDefaultDecorators(instance) {
      _decoratorsInline2["default"](instance);
    }
  }
});

// node_modules/handlebars/dist/cjs/handlebars/logger.js
var require_logger = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/logger.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    var _utils = require_utils();
    var logger = {
      methodMap: ["debug", "info", "warn", "error"],
      level: "info",
      // Maps a given level value to the `methodMap` indexes above.
      lookupLevel: function lookupLevel(level) {
        if (typeof level === "string") {
          var levelMap = _utils.indexOf(logger.methodMap, level.toLowerCase());
          if (levelMap >= 0) {
            level = levelMap;
          } else {
            level = parseInt(level, 10);
          }
        }
        return level;
      },
      // Can be overridden in the host environment
      log: function log(level) {
        level = logger.lookupLevel(level);
        if (typeof console !== "undefined" && logger.lookupLevel(logger.level) <= level) {
          var method = logger.methodMap[level];
          if (!console[method]) {
            method = "log";
          }
          for (var _len = arguments.length, message = Array(_len > 1 ? _len - 1 : 0), _key = 1; _key < _len; _key++) {
            message[_key - 1] = arguments[_key];
          }
          console[method].apply(console, message);
        }
      }
    };
    exports["default"] = logger;
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/internal/proto-access.js
var require_proto_access = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/internal/proto-access.js"(exports) {
    "use strict";
    exports.__esModule = true;
    exports.createProtoAccessControl = createProtoAccessControl;
    exports.resultIsAllowed = resultIsAllowed;
    exports.isPrototypeConstructor = isPrototypeConstructor;
    exports.resetLoggedProperties = resetLoggedProperties;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _utils = require_utils();
    var _logger = require_logger();
    var _logger2 = _interopRequireDefault(_logger);
    var loggedProperties = /* @__PURE__ */ Object.create(null);
    function createProtoAccessControl(runtimeOptions) {
      var propertyWhiteList = /* @__PURE__ */ Object.create(null);
      propertyWhiteList["__proto__"] = false;
      _utils.extend(propertyWhiteList, runtimeOptions.allowedProtoProperties);
      var methodWhiteList = /* @__PURE__ */ Object.create(null);
      methodWhiteList["constructor"] = false;
      methodWhiteList["__defineGetter__"] = false;
      methodWhiteList["__defineSetter__"] = false;
      methodWhiteList["__lookupGetter__"] = false;
      methodWhiteList["__lookupSetter__"] = false;
      _utils.extend(methodWhiteList, runtimeOptions.allowedProtoMethods);
      return {
        properties: {
          whitelist: propertyWhiteList,
          defaultValue: runtimeOptions.allowProtoPropertiesByDefault
        },
        methods: {
          whitelist: methodWhiteList,
          defaultValue: runtimeOptions.allowProtoMethodsByDefault
        }
      };
    }
    function resultIsAllowed(result, protoAccessControl, propertyName) {
      if (typeof result === "function") {
        return checkWhiteList(protoAccessControl.methods, propertyName);
      } else {
        return checkWhiteList(protoAccessControl.properties, propertyName);
      }
    }
    function isPrototypeConstructor(parent, propertyName, result) {
      return propertyName === "constructor" && typeof result === "function" && parent === result.prototype;
    }
    function checkWhiteList(protoAccessControlForType, propertyName) {
      if (protoAccessControlForType.whitelist[propertyName] !== void 0) {
        return protoAccessControlForType.whitelist[propertyName] === true;
      }
      if (protoAccessControlForType.defaultValue !== void 0) {
        return protoAccessControlForType.defaultValue;
      }
      logUnexpecedPropertyAccessOnce(propertyName);
      return false;
    }
    function logUnexpecedPropertyAccessOnce(propertyName) {
      if (loggedProperties[propertyName] !== true) {
        loggedProperties[propertyName] = true;
        _logger2["default"].log("error", 'Handlebars: Access has been denied to resolve the property "' + propertyName + '" because it is not an "own property" of its parent.\nYou can add a runtime option to disable the check or this warning:\nSee https://handlebarsjs.com/api-reference/runtime-options.html#options-to-control-prototype-access for details');
      }
    }
    function resetLoggedProperties() {
      Object.keys(loggedProperties).forEach(function(propertyName) {
        delete loggedProperties[propertyName];
      });
    }
  }
});

// node_modules/handlebars/dist/cjs/handlebars/base.js
var require_base = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/base.js"(exports) {
    "use strict";
    exports.__esModule = true;
    exports.HandlebarsEnvironment = HandlebarsEnvironment;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    var _utils = require_utils();
    var _exception = require_exception();
    var _exception2 = _interopRequireDefault(_exception);
    var _helpers = require_helpers();
    var _decorators = require_decorators();
    var _logger = require_logger();
    var _logger2 = _interopRequireDefault(_logger);
    var _internalProtoAccess = require_proto_access();
    var VERSION = "4.7.10";
    exports.VERSION = VERSION;
    var COMPILER_REVISION = 8;
    exports.COMPILER_REVISION = COMPILER_REVISION;
    var LAST_COMPATIBLE_COMPILER_REVISION = 7;
    exports.LAST_COMPATIBLE_COMPILER_REVISION = LAST_COMPATIBLE_COMPILER_REVISION;
    var REVISION_CHANGES = {
      1: "<= 1.0.rc.2",
      // 1.0.rc.2 is actually rev2 but doesn't report it
      2: "== 1.0.0-rc.3",
      3: "== 1.0.0-rc.4",
      4: "== 1.x.x",
      5: "== 2.0.0-alpha.x",
      6: ">= 2.0.0-beta.1",
      7: ">= 4.0.0 <4.3.0",
      8: ">= 4.3.0"
    };
    exports.REVISION_CHANGES = REVISION_CHANGES;
    var objectType = "[object Object]";
    function HandlebarsEnvironment(helpers, partials, decorators) {
      this.helpers = helpers || {};
      this.partials = partials || {};
      this.decorators = decorators || {};
      _helpers.registerDefaultHelpers(this);
      _decorators.registerDefaultDecorators(this);
    }
    HandlebarsEnvironment.prototype = {
      constructor: HandlebarsEnvironment,
      logger: _logger2["default"],
      log: _logger2["default"].log,
      registerHelper: function registerHelper(name, fn) {
        if (_utils.toString.call(name) === objectType) {
          if (fn) {
            throw new _exception2["default"]("Arg not supported with multiple helpers");
          }
          _utils.extend(this.helpers, name);
        } else {
          this.helpers[name] = fn;
        }
      },
      unregisterHelper: function unregisterHelper(name) {
        delete this.helpers[name];
      },
      registerPartial: function registerPartial(name, partial) {
        if (_utils.toString.call(name) === objectType) {
          _utils.extend(this.partials, name);
        } else {
          if (typeof partial === "undefined") {
            throw new _exception2["default"]('Attempting to register a partial called "' + name + '" as undefined');
          }
          this.partials[name] = partial;
        }
      },
      unregisterPartial: function unregisterPartial(name) {
        delete this.partials[name];
      },
      registerDecorator: function registerDecorator(name, fn) {
        if (_utils.toString.call(name) === objectType) {
          if (fn) {
            throw new _exception2["default"]("Arg not supported with multiple decorators");
          }
          _utils.extend(this.decorators, name);
        } else {
          this.decorators[name] = fn;
        }
      },
      unregisterDecorator: function unregisterDecorator(name) {
        delete this.decorators[name];
      },
      /**
       * Reset the memory of illegal property accesses that have already been logged.
       * @deprecated should only be used in handlebars test-cases
       */
      resetLoggedPropertyAccesses: function resetLoggedPropertyAccesses() {
        _internalProtoAccess.resetLoggedProperties();
      }
    };
    var log = _logger2["default"].log;
    exports.log = log;
    exports.createFrame = _utils.createFrame;
    exports.logger = _logger2["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/safe-string.js
var require_safe_string = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/safe-string.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    function SafeString(string) {
      this.string = string;
    }
    SafeString.prototype.toString = SafeString.prototype.toHTML = function() {
      return "" + this.string;
    };
    exports["default"] = SafeString;
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars/internal/wrapHelper.js
var require_wrapHelper = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/internal/wrapHelper.js"(exports) {
    "use strict";
    exports.__esModule = true;
    exports.wrapHelper = wrapHelper;
    function wrapHelper(helper, transformOptionsFn) {
      if (typeof helper !== "function") {
        return helper;
      }
      var wrapper = function wrapper2() {
        var options = arguments[arguments.length - 1];
        arguments[arguments.length - 1] = transformOptionsFn(options);
        return helper.apply(this, arguments);
      };
      return wrapper;
    }
  }
});

// node_modules/handlebars/dist/cjs/handlebars/runtime.js
var require_runtime = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/runtime.js"(exports) {
    "use strict";
    exports.__esModule = true;
    exports.checkRevision = checkRevision;
    exports.template = template;
    exports.wrapProgram = wrapProgram;
    exports.resolvePartial = resolvePartial;
    exports.invokePartial = invokePartial;
    exports.noop = noop;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    function _interopRequireWildcard(obj) {
      if (obj && obj.__esModule) {
        return obj;
      } else {
        var newObj = {};
        if (obj != null) {
          for (var key in obj) {
            if (Object.prototype.hasOwnProperty.call(obj, key)) newObj[key] = obj[key];
          }
        }
        newObj["default"] = obj;
        return newObj;
      }
    }
    var _utils = require_utils();
    var Utils = _interopRequireWildcard(_utils);
    var _exception = require_exception();
    var _exception2 = _interopRequireDefault(_exception);
    var _base = require_base();
    var _helpers = require_helpers();
    var _internalWrapHelper = require_wrapHelper();
    var _internalProtoAccess = require_proto_access();
    function checkRevision(compilerInfo) {
      var compilerRevision = compilerInfo && compilerInfo[0] || 1, currentRevision = _base.COMPILER_REVISION;
      if (compilerRevision >= _base.LAST_COMPATIBLE_COMPILER_REVISION && compilerRevision <= _base.COMPILER_REVISION) {
        return;
      }
      if (compilerRevision < _base.LAST_COMPATIBLE_COMPILER_REVISION) {
        var runtimeVersions = _base.REVISION_CHANGES[currentRevision], compilerVersions = _base.REVISION_CHANGES[compilerRevision];
        throw new _exception2["default"]("Template was precompiled with an older version of Handlebars than the current runtime. Please update your precompiler to a newer version (" + runtimeVersions + ") or downgrade your runtime to an older version (" + compilerVersions + ").");
      } else {
        throw new _exception2["default"]("Template was precompiled with a newer version of Handlebars than the current runtime. Please update your runtime to a newer version (" + compilerInfo[1] + ").");
      }
    }
    function template(templateSpec, env) {
      if (!env) {
        throw new _exception2["default"]("No environment passed to template");
      }
      if (!templateSpec || !templateSpec.main) {
        throw new _exception2["default"]("Unknown template object: " + typeof templateSpec);
      }
      templateSpec.main.decorator = templateSpec.main_d;
      env.VM.checkRevision(templateSpec.compiler);
      var templateWasPrecompiledWithCompilerV7 = templateSpec.compiler && templateSpec.compiler[0] === 7;
      function invokePartialWrapper(partial, context, options) {
        if (options.hash) {
          context = Utils.extend({}, context, options.hash);
          if (options.ids) {
            options.ids[0] = true;
          }
        }
        partial = env.VM.resolvePartial.call(this, partial, context, options);
        options.hooks = this.hooks;
        options.protoAccessControl = this.protoAccessControl;
        var result = env.VM.invokePartial.call(this, partial, context, options);
        if (result == null && Utils.isFunction(partial)) {
          throw new _exception2["default"]("The partial " + options.name + " returned no output: partials must return a string");
        }
        if (result == null && env.compile) {
          if (typeof partial !== "string") {
            throw new _exception2["default"]("The partial " + options.name + " could not be compiled: partials must be strings or functions returning strings");
          }
          options.partials[options.name] = env.compile(partial, templateSpec.compilerOptions, env);
          result = options.partials[options.name](context, options);
        }
        if (result != null) {
          if (options.indent) {
            var lines = result.split("\n");
            for (var i = 0, l = lines.length; i < l; i++) {
              if (!lines[i] && i + 1 === l) {
                break;
              }
              lines[i] = options.indent + lines[i];
            }
            result = lines.join("\n");
          }
          return result;
        } else {
          throw new _exception2["default"]("The partial " + options.name + " could not be compiled when running in runtime-only mode");
        }
      }
      var container = {
        strict: function strict(obj, name, loc) {
          if (!obj || !(name in obj)) {
            throw new _exception2["default"]('"' + name + '" not defined in ' + obj, {
              loc
            });
          }
          return container.lookupProperty(obj, name);
        },
        lookupProperty: function lookupProperty(parent, propertyName) {
          var result = parent[propertyName];
          if (result == null) {
            return result;
          }
          if (Object.prototype.hasOwnProperty.call(parent, propertyName) && !_internalProtoAccess.isPrototypeConstructor(parent, propertyName, result)) {
            return result;
          }
          if (_internalProtoAccess.resultIsAllowed(result, container.protoAccessControl, propertyName)) {
            return result;
          }
          return void 0;
        },
        lookup: function lookup(depths, name) {
          var len = depths.length;
          for (var i = 0; i < len; i++) {
            var result = depths[i] && container.lookupProperty(depths[i], name);
            if (result != null) {
              return result;
            }
          }
        },
        lambda: function lambda(current, context) {
          return typeof current === "function" ? current.call(context) : current;
        },
        escapeExpression: Utils.escapeExpression,
        invokePartial: invokePartialWrapper,
        fn: function fn(i) {
          var ret2 = templateSpec[i];
          ret2.decorator = templateSpec[i + "_d"];
          return ret2;
        },
        programs: [],
        program: function program(i, data, declaredBlockParams, blockParams, depths) {
          var programWrapper = this.programs[i], fn = this.fn(i);
          if (data || depths || blockParams || declaredBlockParams) {
            programWrapper = wrapProgram(this, i, fn, data, declaredBlockParams, blockParams, depths);
          } else if (!programWrapper) {
            programWrapper = this.programs[i] = wrapProgram(this, i, fn);
          }
          return programWrapper;
        },
        data: function data(value, depth) {
          while (value && depth--) {
            value = value._parent;
          }
          return value;
        },
        mergeIfNeeded: function mergeIfNeeded(param, common) {
          var obj = param || common;
          if (param && common && param !== common) {
            obj = Utils.extend({}, common, param);
          }
          return obj;
        },
        // An empty object to use as replacement for null-contexts
        nullContext: Object.seal({}),
        noop: env.VM.noop,
        compilerInfo: templateSpec.compiler
      };
      function ret(context) {
        var options = arguments.length <= 1 || arguments[1] === void 0 ? {} : arguments[1];
        var data = options.data;
        ret._setup(options);
        if (!options.partial && templateSpec.useData) {
          data = initData(context, data);
        }
        var depths = void 0, blockParams = templateSpec.useBlockParams ? [] : void 0;
        if (templateSpec.useDepths) {
          if (options.depths) {
            depths = context != options.depths[0] ? [context].concat(options.depths) : options.depths;
          } else {
            depths = [context];
          }
        }
        function main(context2) {
          return "" + templateSpec.main(container, context2, container.helpers, container.partials, data, blockParams, depths);
        }
        main = executeDecorators(templateSpec.main, main, container, options.depths || [], data, blockParams);
        return main(context, options);
      }
      ret.isTop = true;
      ret._setup = function(options) {
        if (!options.partial) {
          var mergedHelpers = {};
          addHelpers(mergedHelpers, env.helpers, container);
          addHelpers(mergedHelpers, options.helpers, container);
          container.helpers = mergedHelpers;
          if (templateSpec.usePartial) {
            container.partials = container.mergeIfNeeded(options.partials, env.partials);
          }
          if (templateSpec.usePartial || templateSpec.useDecorators) {
            container.decorators = Utils.extend({}, env.decorators, options.decorators);
          }
          container.hooks = {};
          container.protoAccessControl = _internalProtoAccess.createProtoAccessControl(options);
          var keepHelperInHelpers = options.allowCallsToHelperMissing || templateWasPrecompiledWithCompilerV7;
          _helpers.moveHelperToHooks(container, "helperMissing", keepHelperInHelpers);
          _helpers.moveHelperToHooks(container, "blockHelperMissing", keepHelperInHelpers);
        } else {
          container.protoAccessControl = options.protoAccessControl;
          container.helpers = options.helpers;
          container.partials = options.partials;
          container.decorators = options.decorators;
          container.hooks = options.hooks;
        }
      };
      ret._child = function(i, data, blockParams, depths) {
        if (templateSpec.useBlockParams && !blockParams) {
          throw new _exception2["default"]("must pass block params");
        }
        if (templateSpec.useDepths && !depths) {
          throw new _exception2["default"]("must pass parent depths");
        }
        return wrapProgram(container, i, templateSpec[i], data, 0, blockParams, depths);
      };
      return ret;
    }
    function wrapProgram(container, i, fn, data, declaredBlockParams, blockParams, depths) {
      function prog(context) {
        var options = arguments.length <= 1 || arguments[1] === void 0 ? {} : arguments[1];
        var currentDepths = depths;
        if (depths && context != depths[0] && !(context === container.nullContext && depths[0] === null)) {
          currentDepths = [context].concat(depths);
        }
        return fn(container, context, container.helpers, container.partials, options.data || data, blockParams && [options.blockParams].concat(blockParams), currentDepths);
      }
      prog = executeDecorators(fn, prog, container, depths, data, blockParams);
      prog.program = i;
      prog.depth = depths ? depths.length : 0;
      prog.blockParams = declaredBlockParams || 0;
      return prog;
    }
    function resolvePartial(partial, context, options) {
      if (!partial) {
        if (options.name === "@partial-block") {
          partial = lookupOwnProperty(options.data, "partial-block");
        } else {
          partial = lookupOwnProperty(options.partials, options.name);
        }
      } else if (typeof partial !== "function" && !options.name) {
        options.name = partial;
        partial = lookupOwnProperty(options.partials, partial);
      }
      return partial;
    }
    function invokePartial(partial, context, options) {
      var currentPartialBlock = lookupOwnProperty(options.data, "partial-block");
      options.partial = true;
      if (options.ids) {
        options.data.contextPath = options.ids[0] || options.data.contextPath;
      }
      var partialBlock = void 0;
      if (options.fn && options.fn !== noop) {
        (function() {
          options.data = _base.createFrame(options.data);
          var fn = options.fn;
          partialBlock = options.data["partial-block"] = function partialBlockWrapper(context2) {
            var options2 = arguments.length <= 1 || arguments[1] === void 0 ? {} : arguments[1];
            options2.data = _base.createFrame(options2.data);
            options2.data["partial-block"] = currentPartialBlock;
            return fn(context2, options2);
          };
          if (fn.partials) {
            options.partials = Utils.extend({}, options.partials, fn.partials);
          }
        })();
      }
      if (partial === void 0 && partialBlock) {
        partial = partialBlock;
      }
      if (partial === void 0) {
        throw new _exception2["default"]("The partial " + options.name + " could not be found");
      } else if (partial instanceof Function) {
        return partial(context, options);
      }
    }
    function noop() {
      return "";
    }
    function lookupOwnProperty(obj, name) {
      if (obj && Object.prototype.hasOwnProperty.call(obj, name)) {
        return obj[name];
      }
    }
    function initData(context, data) {
      if (!data || !("root" in data)) {
        data = data ? _base.createFrame(data) : {};
        data.root = context;
      }
      return data;
    }
    function executeDecorators(fn, prog, container, depths, data, blockParams) {
      if (fn.decorator) {
        var props = {};
        prog = fn.decorator(prog, props, container, depths && depths[0], data, blockParams, depths);
        Utils.extend(prog, props);
      }
      return prog;
    }
    function addHelpers(mergedHelpers, helpers, container) {
      if (!helpers) return;
      Object.keys(helpers).forEach(function(helperName) {
        var helper = helpers[helperName];
        mergedHelpers[helperName] = passLookupPropertyOption(helper, container);
      });
    }
    function passLookupPropertyOption(helper, container) {
      var lookupProperty = container.lookupProperty;
      return _internalWrapHelper.wrapHelper(helper, function(options) {
        options.lookupProperty = lookupProperty;
        return options;
      });
    }
  }
});

// node_modules/handlebars/dist/cjs/handlebars/no-conflict.js
var require_no_conflict = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/no-conflict.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    exports["default"] = function(Handlebars) {
      (function() {
        if (typeof globalThis === "object") return;
        Object.prototype.__defineGetter__("__magic__", function() {
          return this;
        });
        __magic__.globalThis = __magic__;
        delete Object.prototype.__magic__;
      })();
      var $Handlebars = globalThis.Handlebars;
      Handlebars.noConflict = function() {
        if (globalThis.Handlebars === Handlebars) {
          globalThis.Handlebars = $Handlebars;
        }
        return Handlebars;
      };
    };
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/dist/cjs/handlebars.runtime.js
var require_handlebars_runtime = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars.runtime.js"(exports, module) {
    "use strict";
    exports.__esModule = true;
    function _interopRequireDefault(obj) {
      return obj && obj.__esModule ? obj : { "default": obj };
    }
    function _interopRequireWildcard(obj) {
      if (obj && obj.__esModule) {
        return obj;
      } else {
        var newObj = {};
        if (obj != null) {
          for (var key in obj) {
            if (Object.prototype.hasOwnProperty.call(obj, key)) newObj[key] = obj[key];
          }
        }
        newObj["default"] = obj;
        return newObj;
      }
    }
    var _handlebarsBase = require_base();
    var base = _interopRequireWildcard(_handlebarsBase);
    var _handlebarsSafeString = require_safe_string();
    var _handlebarsSafeString2 = _interopRequireDefault(_handlebarsSafeString);
    var _handlebarsException = require_exception();
    var _handlebarsException2 = _interopRequireDefault(_handlebarsException);
    var _handlebarsUtils = require_utils();
    var Utils = _interopRequireWildcard(_handlebarsUtils);
    var _handlebarsRuntime = require_runtime();
    var runtime2 = _interopRequireWildcard(_handlebarsRuntime);
    var _handlebarsNoConflict = require_no_conflict();
    var _handlebarsNoConflict2 = _interopRequireDefault(_handlebarsNoConflict);
    function create() {
      var hb = new base.HandlebarsEnvironment();
      Utils.extend(hb, base);
      hb.SafeString = _handlebarsSafeString2["default"];
      hb.Exception = _handlebarsException2["default"];
      hb.Utils = Utils;
      hb.escapeExpression = Utils.escapeExpression;
      hb.VM = runtime2;
      hb.template = function(spec) {
        return runtime2.template(spec, hb);
      };
      return hb;
    }
    var inst = create();
    inst.create = create;
    _handlebarsNoConflict2["default"](inst);
    inst["default"] = inst;
    exports["default"] = inst;
    module.exports = exports["default"];
  }
});

// node_modules/handlebars/runtime.js
var require_runtime2 = __commonJS({
  "node_modules/handlebars/runtime.js"(exports, module) {
    module.exports = require_handlebars_runtime()["default"];
  }
});

// src/build/pipeline.ts
var import_yaml = __toESM(require_dist(), 1);
import { existsSync, readFileSync } from "node:fs";
import { copyFile as copyFile2, mkdir as mkdir2, mkdtemp, rename, rm, writeFile as writeFile2 } from "node:fs/promises";
import { dirname, join as join3, relative, resolve } from "node:path";

// src/render/chart-readme.ts
function valueRows(schema, values) {
  const rows = [];
  const walk = (node, path, value) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const childPath = [...path, key];
      const childValue = isMap(value) ? value[key] : void 0;
      if (child.properties) {
        walk(child, childPath, childValue);
      } else {
        rows.push({ key: childPath.join("."), type: typeOf(child), default: childValue, description: describe(child, childPath) });
      }
    }
  };
  walk(schema, [], values);
  return rows;
}
function isMap(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function typeOf(node) {
  if (node.enum) return node.enum.map((e) => JSON.stringify(e)).join(" \\| ");
  if (node.anyOf) return "quantity";
  if (Array.isArray(node.type)) return node.type.join(" \\| ");
  if (node.type === "array") return `list${node.items?.type ? ` of ${node.items.type === "object" ? "maps" : `${node.items.type}s`}` : ""}`;
  if (node.type === "object") return "map";
  return node.type ?? "any";
}
function describe(node, path) {
  if (node.description) return node.description;
  const [parent, key] = path.slice(-2);
  if ((parent === "requests" || parent === "limits") && (key === "cpu" || key === "memory")) {
    return `${key === "cpu" ? "CPU" : "Memory"} ${parent === "requests" ? "request" : "limit"} (Kubernetes quantity, e.g. \`${key === "cpu" ? "100m" : "64Mi"}\`; unset: none).`;
  }
  return "";
}
function cell(s) {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
function formatDefault(v) {
  if (v === void 0) return "(unset)";
  return `\`${cell(JSON.stringify(v))}\``;
}
function renderChartReadme({ chart, schema, values }) {
  const v = values;
  const label = `${v.nodeLabel.key}=${v.nodeLabel.value}`;
  const port = v.registry.port;
  const rows = valueRows(schema, values);
  const nameOverride = typeof values.nameOverride === "string" && values.nameOverride ? values.nameOverride : chart.name;
  const fullname = typeof values.fullnameOverride === "string" && values.fullnameOverride ? values.fullnameOverride : "creg".includes(nameOverride) ? "creg" : `creg-${nameOverride}`;
  const groups = /* @__PURE__ */ new Map();
  for (const row of rows) {
    const top = row.key.includes(".") ? row.key.split(".")[0] : "";
    groups.set(top, [...groups.get(top) ?? [], row]);
  }
  const table = (list) => [
    "| Key | Type | Default | Description |",
    "| --- | --- | --- | --- |",
    ...list.map((r) => `| \`${r.key}\` | ${r.type} | ${formatDefault(r.default)} | ${cell(r.description)} |`)
  ].join("\n");
  const sections = [];
  if (groups.has("")) sections.push(`### General

${table(groups.get(""))}`);
  for (const [top, list] of groups) {
    if (top === "") continue;
    const desc = schema.properties?.[top]?.description;
    sections.push(`### \`${top}\`

${desc ? `${desc}

` : ""}${table(list)}`);
  }
  return `# ${chart.name}

![Version: ${chart.version}](https://img.shields.io/badge/Version-${badge(chart.version)}-informational) ![AppVersion: ${chart.appVersion}](https://img.shields.io/badge/AppVersion-${badge(chart.appVersion)}-informational)

A private Distribution (Docker) container registry inside the cluster: images
on an NFS export mounted on labelled nodes, a ClusterIP Service, and a TLS
certificate signed in the cluster for that ClusterIP, trusted by every node.

This file is generated by \`creg-chart build\` from \`values.schema.json\` and
the chart's defaults; do not edit it by hand.

## Prerequisites

- Kubernetes >= 1.24 and Helm >= 3.8 (Helm 3 and Helm 4 both work).
- An NFS export reachable from the registry nodes (defaults: \`${v.nas.server}:${v.nas.path}\`),
  and the NFS client (\`mount.nfs\`: nfs-common / nfs-utils) on those nodes.
- Images go to \`registry/\` on the export (\`${v.nas.mountPath}/registry\` on the nodes), which the
  mount DaemonSet creates once the export is mounted: a registry pod does not start on a node
  without it, so images never land on a node's local disk. The export must be writable by root
  (no \`root_squash\` onto a user that cannot write there).
- At least one node labelled \`${label}\`:

      kubectl label nodes NODE ${label}

- A namespace that allows privileged pods (the mount and node trust DaemonSets use
  \`nsenter\` and host paths), e.g. \`kubectl label namespace registry pod-security.kubernetes.io/enforce=privileged\`.
- The user who runs \`helm install\` needs \`list\` on \`nodes\` (cluster scope) for the
  preflight check (see \`preflight.enabled\`).

## Install

From an OCI registry (\`creg-chart publish ... --to oci://REGISTRY/charts\`):

    helm install creg oci://REGISTRY/charts/${chart.name} --version ${chart.version} \\
      --namespace registry --create-namespace -f base.yaml -f clusters/CLUSTER.yaml

From a chart repository (\`creg-chart publish ... --to-dir\`, served over HTTP):

    helm repo add creg https://charts.example.com
    helm install creg creg/${chart.name} --version ${chart.version} -n registry --create-namespace -f base.yaml -f clusters/CLUSTER.yaml

From the packaged file: \`helm install creg ${chart.name}-${chart.version}.tgz -n registry --create-namespace -f ...\`.

The install does not wait for the certificate: registry pods start on a throw-away
certificate, then the post-install hook signs the real one for the ClusterIP and
restarts them. \`--wait\` (Helm 3) and \`--wait\`/\`--rollback-on-failure\` (Helm 4) are safe.

Then check it:

    helm test creg -n registry        # /v2/ answers over TLS, certificate valid for the ClusterIP

## Upgrade

Upgrade with the same values files as the install (Helm does not remember \`-f\`
files; \`--reuse-values\` would freeze the old defaults):

    helm upgrade creg oci://REGISTRY/charts/${chart.name} --version NEW_VERSION -n registry -f base.yaml -f clusters/CLUSTER.yaml

The certificate authority (Secret \`${fullname}-ca\`) is kept across upgrades, so
node trust survives; the server certificate is signed again only when the ClusterIP,
the names or the expiry need it.

## Per-cluster values

Keep what every cluster shares in \`base.yaml\` and one small file per cluster in
\`clusters/\` (NAS server, node label, fixed ClusterIP...). Later files win, maps merge
key by key, lists are replaced, \`null\` removes a default, \`--set\` comes last.
Before touching any cluster:

    creg-chart validate -f base.yaml --cluster-dir clusters/      # every file, every bad field
    creg-chart template -f base.yaml --cluster clusters/a.yaml -n registry --chart ${chart.name}-${chart.version}.tgz

## Trust (nodes and clients)

Nodes pull from \`<ClusterIP>:${port}\` (they cannot resolve cluster DNS names), so
every node's container runtime must trust the registry's CA:

- \`nodeTrust.enabled\` (default on) runs a DaemonSet that writes the CA into
  \`/etc/containerd/certs.d/<ip>:${port}/\` (with \`hosts.toml\`), \`/etc/docker/certs.d/<ip>:${port}/\`
  and \`/etc/containers/certs.d/<ip>:${port}/\`. containerd reads them on every pull when its
  registry \`config_path\` points there (\`containerd config dump | grep config_path\`).
- Clients (docker, skopeo, crane) need the same CA:

      kubectl -n registry get secret ${fullname}-tls -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt
      IP=$(kubectl -n registry get service ${v.service.name} -o jsonpath='{.spec.clusterIP}')
      sudo mkdir -p /etc/docker/certs.d/$IP:${port} && sudo cp ca.crt /etc/docker/certs.d/$IP:${port}/ca.crt

Set \`service.clusterIP\` to keep the address (and the trust files) stable if the Service
is ever re-created.

Object names above are for the release name \`creg\`; for another release they start
with \`<release>-${chart.name}\` (or the release name alone when it contains \`${chart.name}\`).

## Uninstall

    helm uninstall creg -n registry

The CA Secret is kept on purpose (a re-install keeps client trust); delete it by hand
to start over. Images stay on the NFS export.

## Values

${sections.join("\n\n")}
`;
}
function badge(s) {
  return encodeURIComponent(s.replace(/-/g, "--").replace(/_/g, "__"));
}

// src/render/chart-templates.ts
var import_runtime = __toESM(require_runtime2(), 1);
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
var requireHere = createRequire(import.meta.url);
function chartImages(values) {
  const ref = (path) => {
    let cur = values;
    for (const p of path) cur = cur?.[p];
    const img = cur;
    return img?.repository && img.tag ? `${img.repository}:${img.tag}` : void 0;
  };
  const images = [
    { name: "registry", image: ref(["registry", "image"]) },
    { name: "signer", image: ref(["signer", "image"]) },
    { name: "nas-mount", image: ref(["nas", "mounter", "image"]) },
    { name: "node-trust", image: ref(["nodeTrust", "image"]) }
  ];
  return images.filter((i) => i.image !== void 0);
}
function createTemplateEngine() {
  const hb = requireHere("handlebars").create();
  registerHelpers(hb);
  return hb;
}
function registerHelpers(hb) {
  hb.registerHelper("raw", (options) => options.fn(void 0));
}
var COMPILE_OPTIONS = { noEscape: true, strict: true };
var precompiled;
var runtime;
function precompiledTemplate(relPath, text) {
  if (precompiled === void 0) {
    try {
      precompiled = requireHere(precompiledTemplatesPath);
    } catch {
      precompiled = null;
    }
  }
  const entry = precompiled?.[relPath];
  if (!entry || entry.sha256 !== createHash("sha256").update(text).digest("hex")) return void 0;
  if (!runtime) {
    runtime = import_runtime.default.create();
    registerHelpers(runtime);
  }
  return runtime.template(entry.spec);
}
function renderTemplateText(engine, text, context, name) {
  let template;
  try {
    template = engine.compile(text, COMPILE_OPTIONS);
  } catch (err) {
    throw renderError(err, name);
  }
  return runTemplate(template, context, name);
}
function runTemplate(template, context, name) {
  try {
    return template(context);
  } catch (err) {
    throw renderError(err, name);
  }
}
function renderError(err, name) {
  return new UserError(`chart-templates/${name}: cannot render: ${err.message.split("\n")[0]}. This is a bug in the chart source, not in your values.`);
}
async function renderChartTemplates(from, to, context) {
  let engine;
  async function walk(rel) {
    await mkdir(join(to, rel), { recursive: true });
    for (const entry of await readdir(join(from, rel), { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(relPath);
      } else if (entry.name.endsWith(".hbs")) {
        const text = await readFile(join(from, relPath), "utf8");
        const template = precompiledTemplate(relPath, text);
        const out = template ? runTemplate(template, context, relPath) : renderTemplateText(engine ??= createTemplateEngine(), text, context, relPath);
        await writeFile(join(to, relPath.slice(0, -".hbs".length)), out);
      } else if (entry.isFile()) {
        await copyFile(join(from, relPath), join(to, relPath));
      }
    }
  }
  await walk("");
}

// src/build/package.ts
import { readdir as readdir2, readFile as readFile2 } from "node:fs/promises";
import { join as join2 } from "node:path";
import * as zlib from "node:zlib";
import { promisify } from "node:util";
var HELM_GZIP_EXTRA = Buffer.from("+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=");
var HELM_GZIP_COMMENT = "Helm";
var DEFAULT_MTIME = 946684800;
var deflateRaw2 = promisify(zlib.deflateRaw);
function archiveMtime(env = process.env) {
  const s = env.SOURCE_DATE_EPOCH;
  return s !== void 0 && /^\d{1,11}$/.test(s) ? Number(s) : DEFAULT_MTIME;
}
async function packChart(input) {
  const exclude = input.exclude ?? /* @__PURE__ */ new Set();
  const extra = new Map(input.contents ?? []);
  const walked = [];
  let refused;
  const walk = async (rel) => {
    const entries = await readdir2(join2(input.chartDir, rel), { withFileTypes: true });
    const names = entries.map((e) => e.name);
    for (const name of extra.keys()) {
      const slash = name.lastIndexOf("/");
      if ((slash < 0 ? "" : name.slice(0, slash)) === rel && !names.includes(name.slice(slash + 1))) names.push(name.slice(slash + 1));
    }
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (exclude.has(path)) continue;
      const entry = byName.get(name);
      if (entry?.isDirectory()) await walk(path);
      else if (!entry || entry.isFile()) walked.push(path);
      else refused ??= `${path} is not a regular file`;
    }
  };
  await walk("");
  if (refused) return { refused };
  const reason = unsupported(walked, extra.has(".helmignore") ? extra.get(".helmignore").toString() : await readFile2(join2(input.chartDir, ".helmignore"), "utf8").catch(() => ""));
  if (reason) return { refused: reason };
  const special = ["Chart.yaml", "values.yaml", "values.schema.json"];
  const ordered = [
    ...special.filter((f) => walked.includes(f)),
    ...walked.filter((f) => f.startsWith("templates/")),
    ...walked.filter((f) => !special.includes(f) && !f.startsWith("templates/"))
  ];
  if (!ordered.includes("Chart.yaml")) return { refused: "the chart has no Chart.yaml" };
  const mtime = input.mtime ?? archiveMtime();
  const blocks = [];
  for (const path of ordered) {
    const body = extra.get(path) ?? await readFile2(join2(input.chartDir, path));
    if (body.length >= 3 && body[0] === 239 && body[1] === 187 && body[2] === 191) return { refused: `${path} starts with a UTF-8 byte-order mark, which Helm strips` };
    const name = `${input.chartName}/${path}`;
    const header = ustarHeader(name, body.length, mtime);
    if (!header) return { refused: `${name} does not fit a USTAR header (ASCII, at most 100 bytes)` };
    blocks.push(header, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    const pad = (512 - body.length % 512) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return { tgz: await gzipLikeHelm(tar), files: ordered };
}
function unsupported(files, helmignore) {
  for (const f of files) {
    if (f.startsWith("charts/")) return `subcharts (${f}) are packaged by helm package`;
    if (f === "Chart.lock" || f === "requirements.yaml" || f === "requirements.lock") return `${f} is packaged by helm package`;
    if (/^templates\/(.*\/)?\.[^/]/.test(f)) return `${f}: Helm ignores hidden files under templates/`;
  }
  for (const raw of helmignore.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (/[[\]\\!]|\*\*/.test(line)) return `.helmignore rule "${line}" is applied by helm package`;
    const dirOnly = line.endsWith("/");
    const pattern = line.replace(/^\//, "").replace(/\/$/, "");
    const re = new RegExp(`^${pattern.split("").map((c) => c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|]/g, "\\$&")).join("")}$`);
    for (const f of files) {
      const parts = f.split("/");
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
      const candidates = dirOnly ? [...prefixes.slice(0, -1), ...parts.slice(0, -1)] : [...prefixes, ...parts];
      if (candidates.some((c) => re.test(c))) return `${f} matches the .helmignore rule "${line}"`;
    }
  }
  return void 0;
}
function ustarHeader(name, size, mtime) {
  if (Buffer.byteLength(name) > 100 || !/^[\x20-\x7e]+$/.test(name)) return void 0;
  const h = Buffer.alloc(512);
  const octal = (value, offset, width) => h.write(`${value.toString(8).padStart(width - 1, "0")}\0`, offset, "ascii");
  h.write(name, 0, "ascii");
  octal(420, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(mtime, 136, 12);
  h.write("        ", 148, "ascii");
  h.write("0", 156, "ascii");
  h.write("ustar\x0000", 257, "ascii");
  octal(0, 329, 8);
  octal(0, 337, 8);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}
async function gzipLikeHelm(data) {
  const header = Buffer.alloc(10);
  header.set([31, 139, 8, 4 | 16], 0);
  header[9] = 255;
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(HELM_GZIP_EXTRA.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc322(data), 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  const body = await deflateRaw2(data, { level: 6 });
  return Buffer.concat([header, xlen, HELM_GZIP_EXTRA, Buffer.from(`${HELM_GZIP_COMMENT}\0`, "latin1"), body, trailer]);
}
var crcTable;
function crc322(data) {
  const native = zlib.crc32;
  if (native) return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c2 = n;
      for (let k = 0; k < 8; k++) c2 = c2 & 1 ? 3988292384 ^ c2 >>> 1 : c2 >>> 1;
      crcTable[n] = c2 >>> 0;
    }
  }
  let c = 4294967295;
  for (const b of data) c = crcTable[(c ^ b) & 255] ^ c >>> 8;
  return (c ^ 4294967295) >>> 0;
}

// src/build/pipeline.ts
var DEFAULT_LINT_CHECKS = [];
var CHART_NAME = /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/;
var SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
function packageVersion() {
  return JSON.parse(readFileSync(join3(packageRoot, "package.json"), "utf8")).version;
}
async function buildChart(opts) {
  const log = opts.log ?? (() => {
  });
  const name = opts.chartName ?? "creg";
  const version = opts.chartVersion ?? packageVersion();
  if (!CHART_NAME.test(name)) {
    throw new UserError(`--chart-name: expected lower-case letters, digits and '-' (at most 42 characters), got "${name}".`, 2);
  }
  if (!SEMVER.test(version)) {
    throw new UserError(`--chart-version: expected a semantic version such as 1.2.3, got "${version}". Helm refuses charts without one.`, 2);
  }
  if (!existsSync(signerBundlePath)) {
    throw new UserError(`the signer bundle ${relative(process.cwd(), signerBundlePath)} is missing: run \`npm run compile\` in ${packageRoot} first.`);
  }
  const layers = ["built-in defaults", ...opts.valuesFiles ?? [], ...(opts.set ?? []).map((s) => `--set ${s}`), ...(opts.setString ?? []).map((s) => `--set-string ${s}`)];
  log(`Validating values: ${layers.join(", ")}`);
  const helmPromise = opts.helm ? Promise.resolve(opts.helm) : findHelm();
  helmPromise.catch(() => {
  });
  const { values } = resolveValues(opts);
  const helm = await helmPromise;
  const outputDir = resolve(opts.outputDir);
  await mkdir2(outputDir, { recursive: true });
  const staging = await mkdtemp(join3(outputDir, ".creg-build-"));
  try {
    const stagedChart = join3(staging, name);
    const appVersion = String(values.registry.image.tag);
    log(`Rendering chart ${name} ${version} (registry ${appVersion}) from ${displayPath(chartTemplatesDir)}`);
    const chart = { name, version, appVersion };
    await renderChartTemplates(chartTemplatesDir, stagedChart, { chart, images: chartImages(values), prerelease: version.includes("-") });
    await writeValuesYaml(join3(stagedChart, "values.yaml"), values, layers, opts);
    await copyFile2(schemaPath, join3(stagedChart, "values.schema.json"));
    await mkdir2(join3(stagedChart, "files"), { recursive: true });
    await copyFile2(signerBundlePath, join3(stagedChart, "files", "signer.js"));
    const checks = opts.lintChecks ?? DEFAULT_LINT_CHECKS;
    for (const check of checks) {
      await mkdir2(dirname(join3(stagedChart, check.file)), { recursive: true });
      await writeFile2(join3(stagedChart, check.file), check.content(values));
    }
    log(`Linting with helm ${helm.version} (${helm.bin}) and packaging`);
    const linting = helm.run(["lint", "--strict", stagedChart]);
    linting.catch(() => {
    });
    const readme = Buffer.from(renderChartReadme({ chart, schema: valuesSchema().schema, values }));
    const packing = packChart({ chartDir: stagedChart, chartName: name, exclude: new Set(checks.map((c) => c.file)), contents: /* @__PURE__ */ new Map([["README.md", readme]]) });
    packing.catch(() => {
    });
    const lint = await linting;
    for (const check of checks) await rm(join3(stagedChart, check.file), { force: true });
    if (lint.code !== 0) {
      const output = lint.stdout + lint.stderr;
      const reason = checks.map((c) => c.explain(output)).find((r) => r !== void 0);
      if (reason) throw new UserError(`${reason} Nothing was written to ${opts.outputDir}.`);
      const detail = output.split("\n").filter((l) => /\[(ERROR|WARNING)\]|Error:/.test(l)).join("\n") || output;
      throw new UserError(`helm lint --strict failed; nothing was written to ${opts.outputDir}:
${detail.trim()}`);
    }
    await writeFile2(join3(stagedChart, "README.md"), readme);
    const packed = await packing;
    const tgzName = `${name}-${version}.tgz`;
    const tgzPath = join3(outputDir, tgzName);
    const chartDir = join3(outputDir, name);
    if ("tgz" in packed) {
      await writeFile2(join3(staging, tgzName), packed.tgz);
      await rename(join3(staging, tgzName), tgzPath);
    } else {
      log(`Packaging with helm package: ${packed.refused}`);
      const pkgDir = join3(staging, "package");
      const pkg = await helm.run(["package", stagedChart, "--destination", pkgDir]);
      if (pkg.code !== 0) {
        throw new UserError(`helm package failed; nothing was written to ${opts.outputDir}:
${(pkg.stderr || pkg.stdout).trim()}`);
      }
      await rename(join3(pkgDir, tgzName), tgzPath);
    }
    if (existsSync(chartDir)) await rename(chartDir, join3(staging, "previous"));
    await rename(stagedChart, chartDir);
    log(`Chart folder: ${displayPath(chartDir)}`);
    log(`Packaged chart: ${displayPath(tgzPath)}`);
    return { chartDir, tgzPath, values, helmVersion: helm.version };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
function displayPath(path) {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}
async function writeValuesYaml(path, values, layers, opts) {
  const overridden = (opts.valuesFiles?.length ?? 0) + (opts.set?.length ?? 0) + (opts.setString?.length ?? 0) > 0;
  if (!overridden) {
    await copyFile2(defaultsPath, path);
    return;
  }
  const header = [
    "# Default values of this chart, generated by `creg-chart build` from:",
    ...layers.map((l) => `#   ${l.replace(/\n/g, " ")}`),
    "# Every key is described in values.schema.json and README.md.",
    ""
  ].join("\n");
  await writeFile2(path, header + (0, import_yaml.stringify)(values, { ...HELM_YAML_OPTIONS, lineWidth: 0 }));
}

export {
  DEFAULT_LINT_CHECKS,
  packageVersion,
  buildChart
};
